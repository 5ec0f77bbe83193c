import Foundation

/// The repository's files the tests read: the NIR fixtures and the Python side of the NIR checks.
public enum Repository {
    public static let root: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    public static func path(_ relative: String) -> String {
        root.appendingPathComponent(relative).path
    }

    /// The valid fixtures `scripts/nir/make_fixtures.py` wrote with the pinned `nir`, and the two real files
    /// (Sinabs, Norse), by path.
    public static var validNIRFiles: [String] {
        nirFiles(in: "Tests/Fixtures/nir") + nirFiles(in: "Tests/Fixtures/nir/real")
    }

    public static var malformedNIRFiles: [String] { nirFiles(in: "Tests/Fixtures/nir/bad") }

    public static func nirFiles(in folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path(folder))) ?? []
        return names.filter { $0.hasSuffix(".nir") }.sorted().map { path("\(folder)/\($0)") }
    }

    /// The interpreter of `.venv-nir/` (the pinned `nir`, numpy and h5py), which `scripts/test.sh` sets up through
    /// `scripts/nir/python-env.sh` before the tests run; nil when it is missing.
    public static var nirPython: String? {
        let python = path(".venv-nir/bin/python")
        return FileManager.default.isExecutableFile(atPath: python) ? python : nil
    }

    /// The message of a test that needs the Python side and finds it missing.
    public static let nirPythonMissing = "the pinned nir package is missing: run scripts/nir/python-env.sh "
        + "(scripts/test.sh does)"
}
