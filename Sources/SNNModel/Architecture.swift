/// Layer widths of a feed-forward network: `widths[0]` is the input size n_0, `widths[l]` the width n_l of layer l.
public struct Architecture: Sendable, Equatable, Codable {
    public let widths: [Int]

    /// The largest width accepted anywhere; larger layers would not fit in memory for any command.
    public static let maximumWidth = 100_000_000

    public init(widths: [Int]) throws {
        guard widths.count >= 2 else {
            throw ModelError.invalid(parameter: "widths", value: widths.map(String.init).joined(separator: ","),
                                     allowed: "the input size and at least one layer width, e.g. 784,1000,10")
        }
        for w in widths where w < 1 || w > Self.maximumWidth {
            throw ModelError.invalid(parameter: "widths", value: "\(w)",
                                     allowed: "integers from 1 to \(Self.maximumWidth)")
        }
        self.widths = widths
    }

    /// `depth` layers of `width` neurons fed by `inputSize` inputs.
    public init(inputSize: Int, width: Int, depth: Int) throws {
        guard depth >= 1, depth <= 100_000 else {
            throw ModelError.invalid(parameter: "depth", value: "\(depth)", allowed: "an integer from 1 to 100000")
        }
        guard width >= 1, width <= Self.maximumWidth else {
            throw ModelError.invalid(parameter: "width", value: "\(width)",
                                     allowed: "an integer from 1 to \(Self.maximumWidth)")
        }
        guard inputSize >= 1, inputSize <= Self.maximumWidth else {
            throw ModelError.invalid(parameter: "input-size", value: "\(inputSize)",
                                     allowed: "an integer from 1 to \(Self.maximumWidth)")
        }
        self.widths = [inputSize] + Array(repeating: width, count: depth)
    }

    /// Number of layers L.
    public var depth: Int { widths.count - 1 }
    /// n_{l-1}, the fan-in of layer l (1-based).
    public func fanIn(layer l: Int) -> Int { widths[l - 1] }
    /// n_l, the width of layer l (1-based).
    public func width(layer l: Int) -> Int { widths[l] }
}

extension Architecture {
    /// `n0,n1,...,nL` as integers (blanks around each allowed); their ranges are `init(widths:)`'s to check.
    public static func widths(parsing text: String) throws -> [Int] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
            guard let v = Int(LayerShape.trimmingBlanks(part)) else {
                throw ModelError.invalid(parameter: "widths", value: text,
                                         allowed: "comma-separated integers n0,n1,...,nL, each >= 1")
            }
            return v
        }
    }
}
