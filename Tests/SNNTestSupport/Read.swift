import SNNFormats

/// Reading what the reports write, by structure rather than by text.
public enum Read {
    public static func keys(_ value: JSON?) -> [String] {
        if case let .object(pairs)? = value { return pairs.map(\.0) }
        return []
    }

    public static func array(_ value: JSON?) -> [JSON] {
        if case let .array(items)? = value { return items }
        return []
    }

    /// The CSV's header and data rows (comment lines dropped), each split into fields.
    public static func csv(_ text: String) -> (header: [String], rows: [[String]]) {
        let lines = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        let split = lines.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        return (split.first ?? [], Array(split.dropFirst()))
    }

    /// The rows of the first `Format.table` in `text`: the lines under its rule of dashes, down to the first empty one.
    public static func tableRows(in text: String) -> [Substring] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let rule = lines.firstIndex(where: { !$0.isEmpty && $0.allSatisfy { $0 == "-" || $0 == " " } }) else {
            return []
        }
        return Array(lines[(rule + 1)...].prefix { !$0.isEmpty })
    }

    public static func firstColumn(ofTableIn text: String) -> [String] {
        tableRows(in: text).map { String($0.split(separator: " ").first ?? "") }
    }
}
