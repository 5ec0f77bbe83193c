/// The graph's nodes in an order that follows the edges, the shape of the data each node takes and gives (batch and
/// time left out, as NIR writes shapes), and any cycle. Shapes are inferred in one place, from the `Input` nodes along
/// the edges, as `nir`'s `NIRGraph.infer_types` does; a shape no `Input` reaches stays unknown (nil).
public struct NIRStructure: Equatable, Sendable {
    /// Depth-first from the `Input` nodes (then any node not reached), successors in edge order, reversed at the end:
    /// a topological order when the graph has no cycle; with one, the edges that close a cycle point backwards.
    public let order: [String]
    public let inputShapes: [String: [Int]]
    public let outputShapes: [String: [Int]]
    /// One cycle per edge that points backwards in `order`, each as the node names around it, the first repeated at
    /// the end (`lif -> rec -> lif`).
    public let cycles: [[String]]
    /// For each node, the nodes with an edge into it, in edge order.
    public let predecessors: [String: [String]]
}

extension NIRGraph {
    /// Orders the nodes, infers every shape along the edges and checks each parameter against it. Throws a one-line
    /// `NIRError` naming `file` and the node for an empty graph, a parameter holding NaN or an infinity, a weight whose
    /// shape does not fit the data reaching it, edges meeting with different shapes, or a node a shape cannot pass.
    public func structure(file: String) throws -> NIRStructure {
        try structure(file: file, prefix: "")
    }

    /// `structure(file:)` for a graph nested as the node `prefix` of another (errors name its nodes `prefix/name`).
    public func structure(file: String, prefix: String) throws -> NIRStructure {
        let path = { (name: String) in prefix.isEmpty ? name : "\(prefix)/\(name)" }
        guard !nodes.isEmpty else {
            throw NIRError(file: file, node: prefix, reason: "the graph has no nodes")
        }
        for name in nodes.keys.sorted() {
            try nodes[name]!.kind.checkParameters(file: file, node: path(name))
        }
        var seen: Set<[String]> = []
        for edge in edges where !seen.insert([edge.source, edge.target]).inserted {
            throw NIRError(file: file, node: path(edge.target),
                           reason: "the edge \(edge.source) -> \(edge.target) appears twice")
        }
        var successors: [String: [String]] = [:]
        var predecessors: [String: [String]] = [:]
        for edge in edges {
            successors[edge.source, default: []].append(edge.target)
            predecessors[edge.target, default: []].append(edge.source)
        }
        let (order, cycles) = depthFirstOrder(successors: successors)
        var inputShapes: [String: [Int]] = [:]
        var outputShapes: [String: [Int]] = [:]
        for name in order {
            let node = nodes[name]!
            let incoming = (predecessors[name] ?? []).compactMap { source in outputShapes[source].map { (source, $0) } }
            if let first = incoming.first {
                for (source, shape) in incoming.dropFirst() where shape != first.1 {
                    throw NIRError(file: file, node: path(name),
                                   reason: "edges meet with different shapes: \(first.0) gives \(first.1), "
                                       + "\(source) gives \(shape)")
                }
                inputShapes[name] = first.1
            }
            let reason = { (text: String) in NIRError(file: file, node: path(name), reason: text) }
            if let shape = try node.kind.outputShape(input: inputShapes[name], file: file, node: path(name),
                                                     reason: reason) {
                outputShapes[name] = shape
                if inputShapes[name] == nil, case .input = node.kind { inputShapes[name] = shape }
            }
        }
        // An edge that points backwards was not seen when its target was reached: check it now.
        for edge in edges {
            if let given = outputShapes[edge.source], let taken = inputShapes[edge.target], given != taken {
                throw NIRError(file: file, node: path(edge.target),
                               reason: "takes shape \(taken) but \(edge.source) gives \(given)")
            }
        }
        return NIRStructure(order: order, inputShapes: inputShapes, outputShapes: outputShapes, cycles: cycles,
                            predecessors: predecessors)
    }

    private func depthFirstOrder(successors: [String: [String]]) -> ([String], [[String]]) {
        var state: [String: Bool] = [:]  // false: on the path being explored; true: finished
        var finished: [String] = []
        var cycles: [[String]] = []
        var path: [String] = []
        func visit(_ name: String) {
            state[name] = false
            path.append(name)
            for next in successors[name] ?? [] {
                switch state[next] {
                case nil:
                    visit(next)
                case false?:
                    let start = path.lastIndex(of: next)!
                    cycles.append(Array(path[start...]) + [next])
                default:
                    break
                }
            }
            path.removeLast()
            state[name] = true
            finished.append(name)
        }
        let inputs = nodes.keys.filter { if case .input = nodes[$0]!.kind { true } else { false } }.sorted()
        for name in inputs + nodes.keys.sorted() where state[name] == nil {
            visit(name)
        }
        return (finished.reversed(), cycles)
    }
}

extension NIRNodeKind {
    /// The floating-point parameters by field name.
    public var parameters: [(String, HDF5Array)] {
        fields(keeping: HDF5Tree()).filter { _, array in
            switch array.elements {
            case .float32, .float64: true
            default: false
            }
        }
    }

    /// Every field is numbers (a convolution's padding may also be "same" or "valid"), finite, and every time
    /// constant positive.
    func checkParameters(file: String, node: String) throws {
        for (field, array) in fields(keeping: HDF5Tree()) {
            if case .string(let modes) = array.elements {
                if field == "padding", modes.count == 1, ["same", "valid"].contains(modes[0]) { continue }
                throw NIRError(file: file, node: node,
                               reason: "'\(field)' is a string array of shape \(array.shape); it must hold numbers")
            }
            if let bad = array.firstNonFinite {
                throw NIRError(file: file, node: node, reason: "'\(field)' holds \(array.doubles![bad]) at element "
                                   + "\(bad); parameters must be finite")
            }
            if ["tau", "tau_mem", "tau_syn"].contains(field), let values = array.doubles,
               let bad = values.firstIndex(where: { $0 <= 0 }) {
                throw NIRError(file: file, node: node,
                               reason: "'\(field)' is \(values[bad]) at element \(bad); time constants must be > 0")
            }
        }
    }

    /// The shape this node gives for the shape it takes (nil when that is unknown and the node does not fix it).
    func outputShape(input: [Int]?, file: String, node: String,
                     reason: (String) -> NIRError) throws -> [Int]? {
        switch self {
        case .input(let shape):
            let declared = try Self.integers(shape, "shape", reason)
            if let input, input != declared {
                throw reason("declares shape \(declared) but takes \(input)")
            }
            return declared
        case .output(let shape):
            if let input, let declared = try? Self.integers(shape, "shape", reason), !declared.isEmpty,
               declared.reduce(1, *) != input.reduce(1, *) {
                throw reason("declares shape \(declared) but takes \(input)")
            }
            return input
        case .affine(let weight, _), .linear(let weight):
            guard weight.shape.count == 2 else {
                throw reason("'weight' has shape \(weight.shape); an \(typeName) weight is a matrix (outputs x inputs)")
            }
            if case .affine(_, let bias) = self, bias.elements.count != weight.shape[0], bias.elements.count != 1 {
                throw reason("'bias' has \(bias.elements.count) elements for \(weight.shape[0]) outputs")
            }
            if let input, input.reduce(1, *) != weight.shape[1] {
                throw reason("'weight' of shape \(weight.shape) takes \(weight.shape[1]) inputs but receives shape "
                             + "\(input) (\(input.reduce(1, *)))")
            }
            return [weight.shape[0]]
        case .conv1d(let convolution), .conv2d(let convolution):
            return try convolution.outputShape(input: input, spatialRank: typeName == "Conv1d" ? 1 : 2,
                                               reason: reason)
        case .flatten(let startDim, let endDim, _):
            guard let input else { return nil }
            let rank = input.count
            let start = startDim < 0 ? startDim + rank : startDim
            let end = endDim < 0 ? endDim + rank : endDim
            guard rank > 0, 0 <= start, start <= end, end < rank else {
                throw reason("start_dim \(startDim) and end_dim \(endDim) do not fit the shape \(input)")
            }
            return Array(input[..<start]) + [input[start...end].reduce(1, *)] + Array(input[(end + 1)...])
        case .sumPool2d(let pooling), .avgPool2d(let pooling):
            return try pooling.outputShape(input: input, reason: reason)
        case .graph(let subgraph):
            let inner = try subgraph.structure(file: file, prefix: node)
            let outputs = subgraph.nodes.keys.sorted().filter {
                if case .output = subgraph.nodes[$0]!.kind { true } else { false }
            }
            return outputs.first.flatMap { inner.outputShapes[$0] }
        default:
            // Elementwise nodes (Scale, Threshold, Delay and the neurons): the shape passes through; each
            // parameter holds one value or one per element.
            for (field, array) in parameters where array.elements.count != 1 {
                if let input, array.elements.count != input.reduce(1, *) {
                    throw reason("'\(field)' has shape \(array.shape) (\(array.elements.count) values) for data of "
                                 + "shape \(input)")
                }
            }
            if input == nil, let sized = parameters.first(where: { $0.1.elements.count > 1 }) {
                return sized.1.shape
            }
            return input
        }
    }

    static func integers(_ array: HDF5Array, _ field: String, _ reason: (String) -> NIRError) throws -> [Int] {
        guard let values = array.doubles, values.allSatisfy({ $0 >= 0 && $0 == $0.rounded() }) else {
            throw reason("'\(field)' is a \(array.elements.typeName) array, not a list of sizes")
        }
        return values.map { Int($0) }
    }
}

/// A field that holds one value per spatial dimension, or one for all of them.
func perDimension(_ array: HDF5Array, _ field: String, rank: Int,
                          _ reason: (String) -> NIRError) throws -> [Int] {
    guard let values = array.doubles, values.allSatisfy({ $0 == $0.rounded() }),
          values.count == 1 || values.count == rank else {
        throw reason("'\(field)' is \(array.elements.typeName) \(array.shape); it takes 1 or \(rank) integers")
    }
    return values.count == 1 ? Array(repeating: Int(values[0]), count: rank) : values.map { Int($0) }
}

extension NIRConvolution {
    /// NIR's (and PyTorch's) output size per spatial dimension: floor((n + 2p - d (k - 1) - 1) / s) + 1; the
    /// padding may also be "same" (size kept) or "valid" (no padding).
    func outputShape(input: [Int]?, spatialRank: Int, reason: (String) -> NIRError) throws -> [Int]? {
        guard weight.shape.count == spatialRank + 2 else {
            throw reason("'weight' has shape \(weight.shape); a Conv\(spatialRank)d weight has \(spatialRank + 2) "
                         + "dimensions (out channels, in channels / groups, kernel)")
        }
        guard groups >= 1, weight.shape[0] % groups == 0 else {
            throw reason("groups \(groups) does not divide the \(weight.shape[0]) output channels")
        }
        if bias.elements.count != weight.shape[0], bias.elements.count != 1 {
            throw reason("'bias' has \(bias.elements.count) elements for \(weight.shape[0]) output channels")
        }
        var input = input
        if input == nil, let recorded = inputShape, let sizes = recorded.doubles, sizes.count == spatialRank {
            input = [weight.shape[1] * groups] + sizes.map { Int($0) }
        }
        guard let input else { return nil }
        guard input.count == spatialRank + 1, input[0] == weight.shape[1] * groups else {
            throw reason("'weight' of shape \(weight.shape) (groups \(groups)) takes \(weight.shape[1] * groups) "
                         + "channels of rank \(spatialRank) but receives shape \(input)")
        }
        let kernel = Array(weight.shape.suffix(spatialRank))
        let strides = try perDimension(stride, "stride", rank: spatialRank, reason)
        let dilations = try perDimension(dilation, "dilation", rank: spatialRank, reason)
        var sizes: [Int] = []
        if case .string(let mode) = padding.elements {
            switch mode.first {
            case "same": sizes = Array(input.dropFirst())
            case "valid":
                sizes = (0..<spatialRank).map { (axis: Int) -> Int in
                    let span: Int = input[axis + 1] - dilations[axis] * (kernel[axis] - 1) - 1
                    return span < 0 ? 0 : span / max(strides[axis], 1) + 1
                }
            default: throw reason("'padding' is '\(mode.first ?? "")'; it takes integers, 'same' or 'valid'")
            }
        } else {
            let pads = try perDimension(padding, "padding", rank: spatialRank, reason)
            sizes = (0..<spatialRank).map { axis in
                let span: Int = input[axis + 1] + 2 * pads[axis] - dilations[axis] * (kernel[axis] - 1) - 1
                return span < 0 ? 0 : span / max(strides[axis], 1) + 1
            }
        }
        guard strides.allSatisfy({ $0 > 0 }), dilations.allSatisfy({ $0 > 0 }), sizes.allSatisfy({ $0 > 0 }) else {
            throw reason("kernel \(kernel), stride \(strides), dilation \(dilations) leave no output for input "
                         + "\(input)")
        }
        if let recorded = inputShape, let spatial = recorded.doubles, spatial.map({ Int($0) }) != Array(input.dropFirst()) {
            throw reason("'input_shape' says \(spatial.map { Int($0) }) but the data reaching it has shape \(input)")
        }
        return [weight.shape[0]] + sizes
    }
}

extension NIRPooling {
    func outputShape(input: [Int]?, reason: (String) -> NIRError) throws -> [Int]? {
        let kernel = try perDimension(kernelSize, "kernel_size", rank: 2, reason)
        let strides = try perDimension(stride, "stride", rank: 2, reason)
        let pads = try perDimension(padding, "padding", rank: 2, reason)
        guard let input else { return nil }
        guard input.count == 3 else { throw reason("pools 2-d data (channels, height, width) but receives \(input)") }
        let sizes = (0..<2).map { (axis: Int) -> Int in
            let span: Int = input[axis + 1] + 2 * pads[axis] - kernel[axis]
            return span < 0 ? 0 : span / max(strides[axis], 1) + 1
        }
        guard kernel.allSatisfy({ $0 > 0 }), strides.allSatisfy({ $0 > 0 }), sizes.allSatisfy({ $0 > 0 }) else {
            throw reason("kernel \(kernel), stride \(strides) leave no output for input \(input)")
        }
        return [input[0]] + sizes
    }
}
