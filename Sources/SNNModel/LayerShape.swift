/// One layer of a network given layer by layer (`init --widths`): a fully connected layer or a 2-d convolution.
public struct LayerShape: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case linear
        case conv2d(kernelHeight: Int, kernelWidth: Int)
    }

    public let kind: Kind
    /// Input features (linear) or input channels (convolution).
    public let inputs: Int
    /// Output features or channels: the layer's width.
    public let outputs: Int

    public init(kind: Kind, inputs: Int, outputs: Int) {
        self.kind = kind
        self.inputs = inputs
        self.outputs = outputs
    }

    public var kernelSize: Int {
        if case let .conv2d(h, w) = kind { return h * w }
        return 1
    }

    /// Inputs per output neuron: n_in of every initialization rule.
    public var fanIn: Int { inputs * kernelSize }
    /// PyTorch's fan-out (outputs x kernel size for a convolution), the n_out of Glorot's rule.
    public var fanOut: Int { outputs * kernelSize }

    /// torch.nn.Linear.weight's (out, in), or torch.nn.Conv2d.weight's (out, in, KH, KW).
    public var weightShape: [Int] {
        if case let .conv2d(h, w) = kind { return [outputs, inputs, h, w] }
        return [outputs, inputs]
    }

    static let allowed = "the input size, then per layer N (fully connected), C:KHxKW (convolution) or "
        + "flatten:HxW, e.g. 784,1000,10 or 1,32:3x3,64:3x3,flatten:24x24,10"

    /// Parses `n0,entry,...`: the input size, then per layer N (fully connected, N neurons), C:KHxKW or C:K (a
    /// convolution with C output channels and a KH x KW or K x K kernel) or flatten:HxW (not a layer: the C channels
    /// before it, H x W maps, become the C*H*W inputs of the next fully connected layer). Sizes, fan-ins and fan-outs
    /// are at most `Architecture.maximumWidth`; refusals name the parameter `widths`.
    public static func parse(_ text: String) throws -> [LayerShape] {
        func fail(_ value: String, _ allowed: String = allowed) -> ModelError {
            .invalid(parameter: "widths", value: value, allowed: allowed)
        }
        let maximum = Architecture.maximumWidth
        func size(_ s: Substring, _ entry: String) throws -> Int {
            guard let v = Int(String(trimmingBlanks(s))), v >= 1, v <= maximum else {
                throw fail(entry, "sizes from 1 to \(maximum) in " + allowed)
            }
            return v
        }
        func pair(_ s: Substring, _ entry: String) throws -> (Int, Int) {
            let parts = s.split(separator: "x", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw fail(entry) }
            let a = try size(parts[0], entry)
            return (a, parts.count == 2 ? try size(parts[1], entry) : a)
        }
        func product(_ values: [Int], _ entry: String, _ what: String) throws -> Int {
            var p = 1
            for v in values {
                let (q, overflow) = p.multipliedReportingOverflow(by: v)
                guard !overflow, q <= maximum else { throw fail(entry, "\(what) of at most \(maximum)") }
                p = q
            }
            return p
        }
        let entries = text.split(separator: ",", omittingEmptySubsequences: false).map { String(trimmingBlanks($0)) }
        guard entries.count >= 2 else { throw fail(text) }
        guard entries.count <= 100_001 else { throw fail("\(entries.count - 1) layers", "at most 100000 layers") }
        var current = try size(Substring(entries[0]), entries[0])
        var previousWasConvolution = false
        var flattened = false
        var layers: [LayerShape] = []
        for entry in entries.dropFirst() {
            let parts = entry.split(separator: ":", omittingEmptySubsequences: false)
            if parts.count == 2, parts[0] == "flatten" {
                guard !flattened, layers.last.map({ $0.kind != .linear }) ?? true else {
                    throw fail(entry, "flatten:HxW after the input or a convolution only")
                }
                let (h, w) = try pair(parts[1], entry)
                current = try product([current, h, w], entry, "flattened size C x H x W")
                flattened = true
                previousWasConvolution = false
            } else if parts.count == 2 {
                guard !flattened else { throw fail(entry, "fully connected layers after flatten:HxW") }
                let channels = try size(parts[0], entry)
                let (h, w) = try pair(parts[1], entry)
                let layer = LayerShape(kind: .conv2d(kernelHeight: h, kernelWidth: w), inputs: current, outputs: channels)
                _ = try product([current, h, w], entry, "fan-in C x KH x KW")
                _ = try product([channels, h, w], entry, "fan-out C x KH x KW")
                layers.append(layer)
                current = channels
                previousWasConvolution = true
            } else if parts.count == 1 {
                guard !previousWasConvolution else {
                    throw fail(entry, "flatten:HxW (the feature map size) between a convolution and a fully connected layer")
                }
                let n = try size(parts[0], entry)
                layers.append(LayerShape(kind: .linear, inputs: current, outputs: n))
                current = n
                flattened = false
            } else {
                throw fail(entry)
            }
        }
        guard !layers.isEmpty, !flattened else { throw fail(text, "at least one layer, and a layer after flatten:HxW") }
        return layers
    }

    /// Applies a rule that maps an `Architecture` to per-layer weight variances to these layers.
    ///
    /// Every rule the toolkit knows sets Var[w_l] from the layer's fan-in, its fan-out and whether it is the first
    /// layer. A convolution's fan-in and PyTorch fan-out are not one list of widths, so the rule sees each layer l
    /// >= 2 as layer 2 of the network [n_0, fan-in_l, fan-out_l] (and layer 1 as [fan-in_1, fan-out_1]). For fully
    /// connected layers this is the whole network's rule; a test checks it against `predict`.
    public static func perLayer(_ layers: [LayerShape], _ rule: (Architecture) throws -> [Double]) throws -> [Double] {
        try layers.enumerated().map { i, layer in
            let widths = i == 0 ? [layer.fanIn, layer.fanOut] : [layers[0].fanIn, layer.fanIn, layer.fanOut]
            return try rule(Architecture(widths: widths)).last!
        }
    }

    /// `text` without leading and trailing blanks: tabs and Unicode space separators, the set Foundation calls
    /// `.whitespaces` (this module does without Foundation).
    static func trimmingBlanks(_ text: Substring) -> Substring {
        func isBlank(_ u: Unicode.Scalar) -> Bool { u == "\t" || u.properties.generalCategory == .spaceSeparator }
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isBlank($0) }),
              let last = scalars.lastIndex(where: { !isBlank($0) })
        else { return "" }
        return Substring(scalars[first...last])
    }
}
