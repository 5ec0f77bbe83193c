import Foundation

/// A CSV table of high-precision reference values made by `Reference/make_reference.py` (mpmath, 50-60 digits).
/// The tests read the committed files and never need Python.
struct ReferenceTable {
    let header: [String]
    let rows: [[String]]

    init(named name: String) throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Reference").appendingPathComponent(name)
        let text = try String(contentsOf: url, encoding: .utf8)
        let lines = text.split(separator: "\n").filter { !$0.isEmpty && !$0.hasPrefix("#") }
        header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    func column(_ name: String) -> Int {
        guard let i = header.firstIndex(of: name) else { fatalError("no column \(name) in \(header)") }
        return i
    }

    /// The value of `name` in `row` as a Double; values below Double's range parse as 0 and are skipped by callers.
    func value(_ row: [String], _ name: String) -> Double? {
        Double(row[column(name)].trimmingCharacters(in: .whitespaces))
    }

    func text(_ row: [String], _ name: String) -> String { row[column(name)] }
}

/// |actual - expected| / |expected|, or the absolute difference when expected is 0.
func relativeError(_ actual: Double, _ expected: Double) -> Double {
    expected == 0 ? abs(actual) : abs(actual - expected) / abs(expected)
}
