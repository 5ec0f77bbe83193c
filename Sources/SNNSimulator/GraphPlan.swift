import SNNModel

/// A convolution's or pooling's window on one sample (channels x height x width, row-major), a 1-D one taken as 2-D
/// of height 1.
struct WindowGeometry: Sendable, Equatable {
    let channels: Int, height: Int, width: Int
    let outputHeight: Int, outputWidth: Int
    let kernelHeight: Int, kernelWidth: Int
    let strideY: Int, strideX: Int
    let paddingY: Int, paddingX: Int
    let dilationY: Int, dilationX: Int

    /// From a node's input shape ([C, L] or [C, H, W]) and per-dimension kernel, stride, padding and dilation.
    init(input shape: [Int], kernel: [Int], stride: [Int], padding: [Int], dilation: [Int]) {
        let two = { (values: [Int], one: Int) in values.count == 2 ? (values[0], values[1]) : (one, values[0]) }
        channels = shape[0]
        (height, width) = shape.count == 3 ? (shape[1], shape[2]) : (1, shape[1])
        (kernelHeight, kernelWidth) = two(kernel, 1)
        (strideY, strideX) = two(stride, 1)
        (paddingY, paddingX) = two(padding, 0)
        (dilationY, dilationX) = two(dilation, 1)
        outputHeight = Self.outputSize(height, kernelHeight, strideY, paddingY, dilationY)
        outputWidth = Self.outputSize(width, kernelWidth, strideX, paddingX, dilationX)
    }

    /// PyTorch's output length: floor((n + 2 p - d (k - 1) - 1) / s) + 1, or 0 when the window does not fit.
    static func outputSize(_ n: Int, _ k: Int, _ s: Int, _ p: Int, _ d: Int) -> Int {
        let span = n + 2 * p - d * (k - 1) - 1
        return span < 0 ? 0 : span / s + 1
    }

    var paddedHeight: Int { height + 2 * paddingY }
    var paddedWidth: Int { width + 2 * paddingX }
    var isPadded: Bool { paddingY > 0 || paddingX > 0 }
    var inputCount: Int { channels * height * width }
    var paddedCount: Int { channels * paddedHeight * paddedWidth }
    /// Output positions per channel.
    var positions: Int { outputHeight * outputWidth }
}

/// The checks and sizes `GraphSimulation` needs of a graph before it allocates anything.
struct GraphPlan {
    let graph: NetworkGraph

    init(_ graph: NetworkGraph) { self.graph = graph }

    /// Floats of im2col rows per work item: small enough that a worker's rows and products stay in its core's cache.
    static let im2colFloatsPerItem = 1 << 15

    /// Rows (output positions over the batch) per im2col work item for a window of `columns` values: a multiple of 24
    /// (the AVX-512 kernels' narrow tile), at least 24.
    static func rowsPerItem(columns: Int) -> Int { max(1, im2colFloatsPerItem / max(columns, 1) / 24) * 24 }

    /// Neurons per work item of a neuron node's update.
    static let neuronsPerItem = 1024

    /// Whether node i's output is its input's buffer (flatten and output with one input, none delayed).
    func aliases(_ i: Int) -> Bool {
        let node = graph.nodes[i]
        switch node.operation {
        case .flatten, .output: return node.inputs.count == 1 && node.delayedInputs.isEmpty
        default: return false
        }
    }

    /// Whether node i's input is a sum that needs a buffer of its own (anything but exactly one input, none delayed).
    func sumsInputs(_ i: Int) -> Bool {
        let node = graph.nodes[i]
        if case .input = node.operation { return false }
        return !(node.inputs.count == 1 && node.delayedInputs.isEmpty)
    }

    /// The nodes whose previous-step outputs some node takes.
    var delayedSources: Set<Int> { Set(graph.nodes.flatMap(\.delayedInputs)) }

    /// The bytes a run plans to allocate, saturating at `Int.max`: 4 bytes per Float32 of every node's outputs for the
    /// batch (B x outputs, except flatten and output nodes that pass their one input's buffer on), a second copy for
    /// the nodes a delayed edge reads, the largest summed input (B x inputs), each neuron node's membrane (and
    /// synaptic current) and parameters, the dense and convolution weights (transposed copies), the largest padded
    /// convolution input (B x C x (H + 2 p_y) x (W + 2 p_x)), and per thread the largest im2col rows and products and a
    /// neuron item's membranes; 8 bytes per Double of the statistics (3 per neuron node, step and sample; 3 per neuron
    /// item and sample; 2 per neuron) and 32 bytes per input node and sample for the random streams.
    func estimatedBytes(steps: Int, batch: Int, threads: Int) -> Int {
        let b = Double(batch), t = Double(steps), workers = Double(threads)
        var floats = 0.0, doubles = 0.0, other = 0.0
        var largestSum = 0.0, largestPadded = 0.0, largestItem = 0.0
        let delayed = delayedSources
        for (i, node) in graph.nodes.enumerated() {
            let outputs = Double(node.outputCount)
            if !aliases(i) { floats += b * outputs }
            if delayed.contains(i) { floats += b * outputs }
            if sumsInputs(i) { largestSum = max(largestSum, b * Double(node.inputCount)) }
            switch node.operation {
            case .input:
                other += 32 * b
            case .dense(let dense):
                floats += Double(dense.weight.count + dense.bias.count)
            case .convolution(let c):
                let window = WindowGeometry(input: node.inputShape, kernel: c.kernel, stride: c.stride,
                                            padding: c.padding, dilation: c.dilation)
                floats += Double(c.weight.count + c.bias.count)
                if window.isPadded { largestPadded = max(largestPadded, b * Double(window.paddedCount)) }
                let columns = c.fanIn, rows = Self.rowsPerItem(columns: columns)
                largestItem = max(largestItem, Double(rows * (columns + c.outputChannels / c.groups)))
            case .neurons(let neurons):
                let n = Double(neurons.count)
                floats += b * n * (neurons.synapticLeak == nil ? 1 : 2) + 6 * n
                doubles += 3 * t * b + 2 * n + 3 * b * (n / Double(Self.neuronsPerItem)).rounded(.up)
                largestItem = max(largestItem, 3 * Double(Self.neuronsPerItem))
            case .pool, .flatten, .scale, .output:
                break
            }
        }
        floats += largestSum + largestPadded + workers * largestItem
        let total = 4 * floats + 8 * doubles + other
        return total >= Double(Int.max) ? .max : Int(total)
    }

    /// Throws `ModelError` for a graph without an input node, `GraphSimulationError.unsupported` for a node whose
    /// edges, shapes or parameters do not fit its operation, or a multi-spike neuron whose threshold is not above 0.
    static func validate(_ graph: NetworkGraph) throws {
        guard !graph.inputNodes.isEmpty else {
            throw ModelError.invalid(parameter: "graph", value: "\(graph.nodes.count) nodes, no input node",
                                     allowed: "a graph with an input node")
        }
        for (i, node) in graph.nodes.enumerated() {
            let fail = { (reason: String) in GraphSimulationError.unsupported(node: node.name, reason: reason) }
            for j in node.inputs {
                guard j >= 0, j < i else { throw fail("an input (\(j)) does not come earlier in the graph") }
                guard graph.nodes[j].outputCount == node.inputCount else {
                    throw fail("'\(graph.nodes[j].name)' gives \(graph.nodes[j].outputShape), it takes \(node.inputShape)")
                }
            }
            for j in node.delayedInputs {
                guard j >= 0, j < graph.nodes.count else { throw fail("a delayed input (\(j)) is not a node") }
                guard graph.nodes[j].outputCount == node.inputCount else {
                    throw fail("'\(graph.nodes[j].name)' gives \(graph.nodes[j].outputShape), it takes \(node.inputShape)")
                }
            }
            try validate(node, fail: fail)
        }
    }

    private static func validate(_ node: NetworkGraph.Node,
                                 fail: (String) -> GraphSimulationError) throws {
        let n = node.outputCount
        func passes(_ what: String) throws {
            guard node.inputCount == n else {
                throw fail("\(what) takes \(node.inputShape) but gives \(node.outputShape)")
            }
        }
        switch node.operation {
        case .input:
            guard node.inputs.isEmpty, node.delayedInputs.isEmpty else { throw fail("an input node has inputs") }
        case .dense(let d):
            guard d.inputs == node.inputCount, d.outputs == n, d.weight.count == d.outputs * d.inputs,
                  d.bias.isEmpty || d.bias.count == d.outputs else {
                throw fail("a \(d.outputs) x \(d.inputs) weight (\(d.weight.count) values, \(d.bias.count) biases) "
                           + "between \(node.inputShape) and \(node.outputShape)")
            }
        case .convolution(let c):
            let rank = c.kernel.count
            guard rank == 1 || rank == 2, [c.stride, c.padding, c.dilation].allSatisfy({ $0.count == rank }) else {
                throw fail("a convolution of rank \(rank) with stride \(c.stride), padding \(c.padding), dilation "
                           + "\(c.dilation); ranks 1 and 2 are supported")
            }
            guard c.kernel.allSatisfy({ $0 >= 1 }), c.stride.allSatisfy({ $0 >= 1 }),
                  c.dilation.allSatisfy({ $0 >= 1 }), c.padding.allSatisfy({ $0 >= 0 }) else {
                throw fail("kernel \(c.kernel), stride \(c.stride), dilation \(c.dilation) must be positive and "
                           + "padding \(c.padding) not negative")
            }
            guard c.groups >= 1, c.inputChannels % c.groups == 0, c.outputChannels % c.groups == 0 else {
                throw fail("groups \(c.groups) must divide \(c.inputChannels) input and \(c.outputChannels) output "
                           + "channels")
            }
            guard node.inputShape.count == rank + 1, node.inputShape[0] == c.inputChannels else {
                throw fail("a convolution of \(c.inputChannels) channels in \(rank) dimensions receives "
                           + "\(node.inputShape)")
            }
            guard c.weight.count == c.outputChannels * c.fanIn, c.bias.isEmpty || c.bias.count == c.outputChannels
            else {
                throw fail("\(c.weight.count) weights and \(c.bias.count) biases for \(c.outputChannels) x "
                           + "\(c.fanIn) (output channels x inputs per window)")
            }
            let window = WindowGeometry(input: node.inputShape, kernel: c.kernel, stride: c.stride,
                                        padding: c.padding, dilation: c.dilation)
            let expected = [c.outputChannels] + (rank == 2 ? [window.outputHeight] : []) + [window.outputWidth]
            guard window.positions > 0, node.outputShape == expected else {
                throw fail("a convolution of \(node.inputShape) gives \(expected), the graph says \(node.outputShape)")
            }
        case .pool(let p):
            guard p.kernel.count == 2, p.stride.count == 2, p.padding.count == 2, node.inputShape.count == 3 else {
                throw fail("pooling is 2-d (kernel, stride and padding of 2 values, input channels x height x width)")
            }
            guard p.kernel.allSatisfy({ $0 >= 1 }), p.stride.allSatisfy({ $0 >= 1 }),
                  p.padding.allSatisfy({ $0 >= 0 }) else {
                throw fail("kernel \(p.kernel) and stride \(p.stride) must be positive, padding \(p.padding) not "
                           + "negative")
            }
            let window = WindowGeometry(input: node.inputShape, kernel: p.kernel, stride: p.stride,
                                        padding: p.padding, dilation: [1, 1])
            let expected = [window.channels, window.outputHeight, window.outputWidth]
            guard window.positions > 0, node.outputShape == expected else {
                throw fail("pooling \(node.inputShape) gives \(expected), the graph says \(node.outputShape)")
            }
        case .flatten, .output:
            try passes("passing data on")
        case .scale(let s):
            try passes("a scale")
            guard s.count == n else { throw fail("\(s.count) scale values for \(n) elements") }
        case .neurons(let neurons):
            try passes("a neuron node")
            let counts = [neurons.leak.count, neurons.gain.count, neurons.bias.count, neurons.synapticLeak?.count ?? n,
                          neurons.threshold?.count ?? n, neurons.resetValue?.count ?? n, neurons.lowerBound?.count ?? n]
            guard counts.allSatisfy({ $0 == n }) else {
                throw fail("neuron parameters of \(counts) values for \(n) neurons")
            }
            if neurons.multiSpike, let threshold = neurons.threshold, !threshold.allSatisfy({ $0 > 0 }) {
                throw fail("a multi-spike neuron (floor(v / threshold) spikes) needs every threshold above 0")
            }
        }
    }
}
