import SNNModel

extension NIRGraph {
    /// The graph as the project's model: nodes in the order of `structure(file:)`, nested graphs spliced in (their
    /// nodes named `outer/inner`, their Input and Output nodes passing data through), every neuron node discretized
    /// by `convention` at `step` per neuron (THEORY.md section 8), NIR's `Threshold` as a memoryless neuron. Throws a
    /// one-line `NIRError` for what the model cannot run: a `Delay` (continuous-time delays have no step form here),
    /// an input whose shape no `Input` node fixes.
    /// `structure` is the graph's own, when the caller has it already.
    public func networkGraph(file: String, convention: NIRConvention, step: Double,
                             structure: NIRStructure? = nil) throws -> NetworkGraph {
        var builder = GraphBuilder(file: file, convention: convention, step: step, version: version)
        _ = try builder.splice(self, prefix: "", external: [], structure: structure)
        return NetworkGraph(nodes: builder.nodes)
    }
}

private struct GraphBuilder {
    let file: String
    let convention: NIRConvention
    let step: Double
    let version: String?
    var nodes: [NetworkGraph.Node] = []

    init(file: String, convention: NIRConvention, step: Double, version: String?) {
        self.file = file
        self.convention = convention
        self.step = step
        self.version = version
    }

    /// Appends `graph`'s nodes; `external` feeds its Input nodes (for a nested graph). Returns the index of its
    /// (first) Output node.
    mutating func splice(_ graph: NIRGraph, prefix: String, external: [Int],
                         structure known: NIRStructure? = nil) throws -> Int? {
        let structure = try known ?? graph.structure(file: file, prefix: String(prefix.dropLast()))
        let position = Dictionary(uniqueKeysWithValues: structure.order.enumerated().map { ($1, $0) })
        var index: [String: Int] = [:]
        var pending: [(node: Int, source: String)] = []
        var output: Int?
        for name in structure.order {
            let node = graph.nodes[name]!
            let path = prefix + name
            let file = self.file
            let error = { (reason: String) in NIRError(file: file, node: path, reason: reason) }
            guard let outputShape = structure.outputShapes[name] else {
                throw error("no Input node's shape reaches this node")
            }
            let inputShape = structure.inputShapes[name] ?? outputShape
            var inputs: [Int] = [], delayed: [Int] = []
            for source in structure.predecessors[name] ?? [] {
                if let earlier = index[source], position[source]! < position[name]! {
                    inputs.append(earlier)
                } else {
                    pending.append((nodes.count, source))
                    delayed.append(-1)
                }
            }
            if case .graph(let subgraph) = node.kind {
                // The nested graph's nodes take this node's place; its output stands for it.
                guard delayed.isEmpty else { throw error("a cycle through a nested graph is not supported") }
                guard let inner = try splice(subgraph, prefix: path + "/", external: inputs) else {
                    throw error("the nested graph has no Output node")
                }
                index[name] = inner
                continue
            }
            var operation = try self.operation(node.kind, input: inputShape, output: outputShape, error: error)
            if case .input = node.kind, !prefix.isEmpty {
                operation = .flatten
                inputs = external
            }
            if case .output = node.kind, !prefix.isEmpty { operation = .flatten }
            index[name] = nodes.count
            if case .output = node.kind, output == nil { output = nodes.count }
            nodes.append(NetworkGraph.Node(name: path, operation: operation, inputs: inputs,
                                           delayedInputs: delayed.filter { $0 >= 0 }, inputShape: inputShape,
                                           outputShape: outputShape))
        }
        // Edges that close a cycle, now that every node has its index.
        for (node, source) in pending {
            let old = nodes[node]
            nodes[node] = NetworkGraph.Node(name: old.name, operation: old.operation, inputs: old.inputs,
                                            delayedInputs: old.delayedInputs + [index[source]!],
                                            inputShape: old.inputShape, outputShape: old.outputShape)
        }
        return output
    }

    func operation(_ kind: NIRNodeKind, input: [Int], output: [Int],
                   error: (String) -> NIRError) throws -> NetworkGraph.Operation {
        // Float32 arrays (the usual weights) are taken as they are, without a copy through Double.
        let floats = { (array: HDF5Array) -> [Float] in
            if case .float32(let values) = array.elements { return values }
            return array.doubles!.map { Float($0) }
        }
        switch kind {
        case .input:
            return .input
        case .output:
            return .output
        case .affine(let weight, let bias):
            return .dense(NetworkGraph.Dense(outputs: weight.shape[0], inputs: weight.shape[1], weight: floats(weight),
                                             bias: expanded(floats(bias), weight.shape[0])))
        case .linear(let weight):
            return .dense(NetworkGraph.Dense(outputs: weight.shape[0], inputs: weight.shape[1], weight: floats(weight),
                                             bias: []))
        case .conv1d(let convolution), .conv2d(let convolution):
            let rank = convolution.weight.shape.count - 2
            let kernel = Array(convolution.weight.shape.suffix(rank))
            let dilation = try perDimension(convolution.dilation, "dilation", rank: rank, error)
            var padding: [Int]
            if case .string(let mode) = convolution.padding.elements {
                // "same" keeps the size: PyTorch pads (d (k - 1)) / 2 on each side (odd spans only; refused else).
                padding = mode.first == "valid" ? Array(repeating: 0, count: rank)
                    : (0..<rank).map { dilation[$0] * (kernel[$0] - 1) / 2 }
                if mode.first == "same", (0..<rank).contains(where: { dilation[$0] * (kernel[$0] - 1) % 2 != 0 }) {
                    throw error("'same' padding with an even kernel span pads unevenly, which is not supported")
                }
            } else {
                padding = try perDimension(convolution.padding, "padding", rank: rank, error)
            }
            return .convolution(NetworkGraph.Convolution(
                outputChannels: convolution.weight.shape[0], inputChannels: input[0], kernel: kernel,
                stride: try perDimension(convolution.stride, "stride", rank: rank, error), padding: padding, dilation: dilation,
                groups: convolution.groups, weight: floats(convolution.weight),
                bias: expanded(floats(convolution.bias), convolution.weight.shape[0])))
        case .sumPool2d(let pooling), .avgPool2d(let pooling):
            let average = if case .avgPool2d = kind { true } else { false }
            return .pool(NetworkGraph.Pooling(kernel: try perDimension(pooling.kernelSize, "kernel_size", rank: 2, error),
                                              stride: try perDimension(pooling.stride, "stride", rank: 2, error),
                                              padding: try perDimension(pooling.padding, "padding", rank: 2, error),
                                              average: average))
        case .flatten:
            return .flatten
        case .scale(let scale):
            return .scale(expanded(floats(scale), output.reduce(1, *)))
        case .threshold(let threshold):
            let count = output.reduce(1, *)
            return .neurons(NetworkGraph.NeuronLayer(
                leak: Array(repeating: 0, count: count), synapticLeak: nil, gain: Array(repeating: 1, count: count),
                threshold: expanded(floats(threshold), count), resetValue: Array(repeating: 0, count: count),
                bias: Array(repeating: 0, count: count), multiSpike: false))
        case .delay:
            throw error("Delay nodes (continuous-time delays) cannot be run in steps here")
        case .graph:
            preconditionFailure("nested graphs are spliced in")
        default:
            return .neurons(try neurons(kind, count: output.reduce(1, *), error: error))
        }
    }

    /// One value, or one per element: always one per element.
    func expanded(_ values: [Float], _ count: Int) -> [Float] {
        values.count == 1 ? Array(repeating: values[0], count: count) : values
    }

    /// Each neuron discretized by the convention on its own parameters (once when they are the same for all).
    func neurons(_ kind: NIRNodeKind, count: Int, error: (String) -> NIRError) throws -> NetworkGraph.NeuronLayer {
        guard let mean = NIRNeuronParameters(kind) else { preconditionFailure("not a neuron node") }
        let elements: [NIRDiscreteNeuron] = mean.uniform
            ? Array(repeating: mean.discretized(convention, step: step, version: version), count: count)
            : (0..<count).map { NIRNeuronParameters(kind, element: $0)!.discretized(convention, step: step, version: version) }
        let first = elements[0]
        let spiking = first.threshold != nil
        let subtract = first.reset == .subtract
        if elements.contains(where: { ($0.reset == .subtract) != subtract }) {
            throw error("the neurons of one node reset differently")
        }
        return NetworkGraph.NeuronLayer(
            leak: elements.map { Float($0.leak) },
            synapticLeak: first.synapticLeak == nil ? nil : elements.map { Float($0.synapticLeak ?? 0) },
            gain: elements.map { Float($0.inputGain) },
            threshold: spiking ? elements.map { Float($0.threshold ?? 0) } : nil,
            resetValue: !spiking || subtract ? nil : elements.map { element in
                if case .to(let value)? = element.reset { Float(value) } else { 0 }
            },
            bias: elements.map { Float($0.bias) },
            multiSpike: first.firing == .multiSpike,
            lowerBound: first.lowerBound == nil ? nil : elements.map { Float($0.lowerBound ?? -.infinity) })
    }
}
