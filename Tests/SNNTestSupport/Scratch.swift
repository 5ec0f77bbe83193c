import Foundation

/// Scratch files for tests: a new path under the temporary directory, named for what it holds, so tests that run at
/// the same time never share a file.
public enum Scratch {
    /// A path that does not exist yet: `prefix`, a UUID, then `suffix` (e.g. ".jsonl").
    public static func path(_ prefix: String, suffix: String = "") -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)\(suffix)").path
    }

    /// A new, empty directory.
    public static func directory(_ prefix: String) throws -> String {
        let path = path(prefix)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
