import SNNModel
import SNNTheory

/// A JSON value that keeps its keys in the order they were written, so output reads top-down like the table.
enum JSON {
    case object([(String, JSON)])
    case array([JSON])
    case number(Double)
    case integer(Int)
    case string(String)
    case bool(Bool)
    case null

    /// A Double, or null when it is not finite (JSON has no NaN or infinity).
    static func finite(_ x: Double?) -> JSON {
        guard let x, x.isFinite else { return .null }
        return .number(x)
    }

    func rendered(indent: Int = 0, pretty: Bool = true) -> String {
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
}

/// Provenance fields several commands share.
enum Provenance {
    /// The update conventions of a neuron with this reset (the leak and threshold are reported separately).
    static func conventions(reset: String) -> String {
        guard let r = Reset(rawValue: reset), let neuron = try? NeuronModel(threshold: 1, leak: 1, reset: r) else { return "" }
        return neuron.conventions
    }

    /// The first time step from a zero potential, where leak and reset do not enter.
    static let firstStepConventions = "first time step from u[0] = 0: u[1] = W s_in[1]; spike if u[1] > theta"

    /// The multi-step theory's numerical settings, so a result file alone reproduces the run.
    static func temporalFields(_ settings: TemporalKernelSettings?, steps: Int) -> [(String, JSON)] {
        guard let settings, steps > 1 else { return [] }
        return [
            ("multi_step_method", .string(steps <= 2 && settings.method != .quasiMonteCarlo ? "quadrature" : "qmc")),
            ("qmc_points", .integer(settings.points)), ("qmc_replicates", .integer(settings.replicates)),
            ("seed", .integer(Int(truncatingIfNeeded: settings.seed))),
        ]
    }
}
