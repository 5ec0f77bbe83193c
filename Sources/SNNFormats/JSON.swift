/// A JSON value that keeps its keys in the order they were written, so output reads top-down like the table.
public enum JSON: Sendable, Equatable {
    case object([(String, JSON)])
    case array([JSON])
    case number(Double)
    case integer(Int)
    case string(String)
    case bool(Bool)
    case null

    /// A Double, or null when it is not finite (JSON has no NaN or infinity).
    public static func finite(_ x: Double?) -> JSON {
        guard let x, x.isFinite else { return .null }
        return .number(x)
    }

    /// The text of the value: pretty (two-space indents, one key per line) or on one line with no spaces but those
    /// inside arrays of scalars. A `.number` is Swift's shortest round-trip text ("1.0", "1e-05"), which Swift and
    /// Foundation's JSONDecoder read back as the same bits; an `.integer` has no point or exponent.
    public func rendered(pretty: Bool = true) -> String {
        rendered(indent: 0, pretty: pretty)
    }

    private func rendered(indent: Int, pretty: Bool) -> String {
        let pad = pretty ? String(repeating: "  ", count: indent + 1) : ""
        let closePad = pretty ? String(repeating: "  ", count: indent) : ""
        let newline = pretty ? "\n" : ""
        switch self {
        case let .object(pairs):
            if pairs.isEmpty { return "{}" }
            let body = pairs.map { "\(pad)\(JSON.quote($0.0)):\(pretty ? " " : "")\($0.1.rendered(indent: indent + 1, pretty: pretty))" }
            return "{" + newline + body.joined(separator: "," + newline) + newline + closePad + "}"
        case let .array(items):
            if items.isEmpty { return "[]" }
            // Arrays of scalars stay on one line; arrays of records get one record per line.
            if items.allSatisfy({ if case .object = $0 { return false } else { return true } }) {
                return "[" + items.map { $0.rendered(indent: indent + 1, pretty: false) }.joined(separator: ", ") + "]"
            }
            let body = items.map { pad + $0.rendered(indent: indent + 1, pretty: pretty) }
            return "[" + newline + body.joined(separator: "," + newline) + newline + closePad + "]"
        case let .number(x): return x.isFinite ? "\(x)" : "null"
        case let .integer(i): return "\(i)"
        case let .string(s): return JSON.quote(s)
        case let .bool(b): return b ? "true" : "false"
        case .null: return "null"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 {
                    out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                        + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// The value under `key` of an object (nil for anything else or a missing key).
    public subscript(key: String) -> JSON? {
        guard case let .object(pairs) = self else { return nil }
        return pairs.first { $0.0 == key }?.1
    }

    /// Objects are equal when their keys and values are, in the same order; numbers as Doubles are (so NaN is
    /// equal to nothing), and a `.number` is never equal to an `.integer`.
    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case let (.object(x), .object(y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case let (.array(x), .array(y)): x == y
        case let (.number(x), .number(y)): x == y
        case let (.integer(x), .integer(y)): x == y
        case let (.string(x), .string(y)): x == y
        case let (.bool(x), .bool(y)): x == y
        case (.null, .null): true
        default: false
        }
    }
}
