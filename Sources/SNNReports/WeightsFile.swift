import Foundation
import SNNFormats
import SNNModel

/// Per-layer weight variances kept in a file, for `simulate --weights-from` and `init --weights-from`.
public enum WeightsFile {
    /// A file that cannot be read, or holds no usable scales: one line naming `--weights-from` and the file.
    public struct Failure: Error, CustomStringConvertible {
        public let message: String

        public var description: String { message }
    }

    /// The per-layer weight variances of a `predict --format json` result (its `layers`, or the last entry of its
    /// `predictions`, where `--target-rate` puts the solver's scales) or of a `simulate --format json` result (its
    /// `layers`), and a name for them. The theory depends on the gain n_{l-1} Var[w_l] only, so a file made for other
    /// fan-ins is rescaled: Var[w_l] x fan_in(file) / fan_in(here), with `fanIns` the fan-ins here, one per layer.
    public static func variances(from path: String, fanIns: [Int]) throws -> ([Double], String) {
        let depth = fanIns.count
        let fail = { (why: String) in Failure(message: "weights-from: '\(path)' \(why)") }
        guard let data = FileManager.default.contents(atPath: path) else { throw fail("cannot be read") }
        guard let root = try? JSONDecoder().decode(JSON.self, from: data), case .object = root else {
            throw fail("is not a JSON object from snn-theory predict or simulate --format json")
        }
        // A list of records, or nil for anything else (a missing key, another type, a list holding a non-record).
        func records(_ value: JSON?) -> [JSON]? {
            guard case let .array(items)? = value else { return nil }
            return items.allSatisfy({ if case .object = $0 { true } else { false } }) ? items : nil
        }
        func text(_ value: JSON?) -> String? {
            if case let .string(s)? = value { return s }
            return nil
        }
        func number(_ value: JSON?) -> Double? {
            switch value {
            case let .number(x)?: x
            case let .integer(n)?: Double(n)
            default: nil
            }
        }
        var layers = records(root["layers"])
        var name = text(root["model"]?["init"]) ?? "from file"
        if layers == nil, let last = records(root["predictions"])?.last {
            layers = records(last["layers"])
            name = text(last["init"]) ?? name
        }
        guard let layers else { throw fail("has no layers[] records") }
        let values = layers.compactMap { number($0["weight_variance"]) }
        guard values.count == layers.count, values.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw fail("has a layer without a finite weight_variance >= 0")
        }
        guard values.count == depth else {
            throw fail("has \(values.count) layers; the network has \(depth)")
        }
        let fileFanIns = layers.map { number($0["fan_in"]) }
        let scaled = (0..<depth).map { i in values[i] * (fileFanIns[i] ?? Double(fanIns[i])) / Double(fanIns[i]) }
        return (scaled, "\(name) (from \((path as NSString).lastPathComponent))")
    }

    /// `variances(from:fanIns:)` with the fan-ins of `architecture`'s layers.
    public static func variances(from path: String, architecture: Architecture) throws -> ([Double], String) {
        try variances(from: path, fanIns: (1...architecture.depth).map { architecture.fanIn(layer: $0) })
    }
}
