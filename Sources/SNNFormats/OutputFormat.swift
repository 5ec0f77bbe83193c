/// What a command prints: a table for people, CSV or JSON for scripts.
public enum OutputFormat: String, CaseIterable, Sendable {
    case table, csv, json

    /// The text for standard output in this format, only that one made: JSON and the table with a final newline;
    /// CSV ends its last row with one already.
    public func text(json: @autoclosure () -> JSON, csv: @autoclosure () -> String,
                     table: @autoclosure () -> String) -> String
    {
        switch self {
        case .json: json().rendered() + "\n"
        case .csv: csv()
        case .table: table() + "\n"
        }
    }
}
