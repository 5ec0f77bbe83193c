/// A network with weights of its own (read from a file): nodes in an order that follows the edges, each an operation
/// on the sum of its inputs, in discrete time. Neurons are already discretized (a convention chose leak, gain,
/// threshold and reset); shapes leave out batch and time, as NIR writes them. Every array is row-major Float32.
///
/// Several edges into one node sum. An edge that closes a cycle brings the previous step's output (zero at the first
/// step), as NIR's PyTorch executor runs recurrent graphs.
public struct NetworkGraph: Sendable, Equatable, Codable {
    public struct Node: Sendable, Equatable, Codable {
        public let name: String
        public let operation: Operation
        /// Nodes whose outputs at this step are summed into this node's input; each comes earlier in `nodes`.
        public let inputs: [Int]
        /// Nodes whose outputs at the previous step are added too (edges that close a cycle).
        public let delayedInputs: [Int]
        public let inputShape: [Int]
        public let outputShape: [Int]

        public init(name: String, operation: Operation, inputs: [Int], delayedInputs: [Int], inputShape: [Int],
                    outputShape: [Int]) {
            self.name = name
            self.operation = operation
            self.inputs = inputs
            self.delayedInputs = delayedInputs
            self.inputShape = inputShape
            self.outputShape = outputShape
        }

        public var inputCount: Int { inputShape.reduce(1, *) }

        /// Dense and convolution nodes: the ones with weights.
        public var isWeighted: Bool {
            switch operation {
            case .dense, .convolution: true
            default: false
            }
        }

        public var isNeurons: Bool { if case .neurons = operation { true } else { false } }
        public var outputCount: Int { outputShape.reduce(1, *) }
    }

    public enum Operation: Sendable, Equatable, Codable {
        /// The network's input (its shape is the node's output shape).
        case input
        /// y = W x + b: NIR's Affine and Linear.
        case dense(Dense)
        /// NIR's Conv1d and Conv2d, PyTorch's cross-correlation.
        case convolution(Convolution)
        /// Sum (or, `average`, the mean) over each window: NIR's SumPool2d and AvgPool2d.
        case pool(Pooling)
        /// The data unchanged, reshaped.
        case flatten
        /// y = s x elementwise (one value or one per element).
        case scale([Float])
        /// A spiking (or, without threshold, leaky-integrating) neuron per element.
        case neurons(NeuronLayer)
        /// The network's output: its input passed through.
        case output
    }

    public struct Dense: Sendable, Equatable, Codable {
        public let outputs: Int
        public let inputs: Int
        /// outputs x inputs.
        public let weight: [Float]
        /// One per output, or empty.
        public let bias: [Float]

        public init(outputs: Int, inputs: Int, weight: [Float], bias: [Float]) {
            precondition(weight.count == outputs * inputs && (bias.isEmpty || bias.count == outputs))
            self.outputs = outputs
            self.inputs = inputs
            self.weight = weight
            self.bias = bias
        }
    }

    public struct Convolution: Sendable, Equatable, Codable {
        public let outputChannels: Int
        public let inputChannels: Int
        /// One entry per spatial dimension (1 or 2), as are `stride`, `padding` and `dilation`.
        public let kernel: [Int]
        public let stride: [Int]
        public let padding: [Int]
        public let dilation: [Int]
        public let groups: Int
        /// outputChannels x (inputChannels / groups) x kernel...
        public let weight: [Float]
        /// One per output channel, or empty.
        public let bias: [Float]

        public init(outputChannels: Int, inputChannels: Int, kernel: [Int], stride: [Int], padding: [Int],
                    dilation: [Int], groups: Int, weight: [Float], bias: [Float]) {
            precondition(weight.count == outputChannels * inputChannels / groups * kernel.reduce(1, *))
            self.outputChannels = outputChannels
            self.inputChannels = inputChannels
            self.kernel = kernel
            self.stride = stride
            self.padding = padding
            self.dilation = dilation
            self.groups = groups
            self.weight = weight
            self.bias = bias
        }

        /// Inputs each output sums: (inputChannels / groups) x kernel size.
        public var fanIn: Int { inputChannels / groups * kernel.reduce(1, *) }
    }

    public struct Pooling: Sendable, Equatable, Codable {
        public let kernel: [Int]
        public let stride: [Int]
        public let padding: [Int]
        /// The mean over the window (its full size, padding included, as PyTorch's default) instead of the sum.
        public let average: Bool

        public init(kernel: [Int], stride: [Int], padding: [Int], average: Bool) {
            self.kernel = kernel
            self.stride = stride
            self.padding = padding
            self.average = average
        }
    }

    /// One discrete neuron per element, per step (THEORY.md section 8's form):
    ///     I[t] = alpha I[t-1] + x[t]                   (when `synapticLeak` is set; else I[t] = x[t])
    ///     v[t] = leak v[t-1] + gain I[t] + bias
    ///     spikes: v > threshold gives 1 (or, `multiSpike`, floor(v / threshold) when v >= threshold); then
    ///     reset: v -= threshold x spikes (subtract), or v = resetValue where it spiked;
    ///     then, with `lowerBound`, v = max(v, lowerBound) (Sinabs' min_v_mem, after the reset).
    /// Every array holds one value per element.
    public struct NeuronLayer: Sendable, Equatable, Codable {
        public let leak: [Float]
        public let synapticLeak: [Float]?
        public let gain: [Float]
        /// nil: the node integrates without spiking (NIR's LI, CubaLI, I); its output is its membrane.
        public let threshold: [Float]?
        /// nil: reset by subtracting the threshold; else the value the membrane is set to after a spike.
        public let resetValue: [Float]?
        public let bias: [Float]
        public let multiSpike: Bool
        /// nil: unbounded; else the least value the membrane keeps after each step's reset.
        public let lowerBound: [Float]?

        public init(leak: [Float], synapticLeak: [Float]?, gain: [Float], threshold: [Float]?, resetValue: [Float]?,
                    bias: [Float], multiSpike: Bool, lowerBound: [Float]? = nil) {
            self.lowerBound = lowerBound
            self.leak = leak
            self.synapticLeak = synapticLeak
            self.gain = gain
            self.threshold = threshold
            self.resetValue = resetValue
            self.bias = bias
            self.multiSpike = multiSpike
        }

        public var count: Int { leak.count }
    }

    public let nodes: [Node]

    public init(nodes: [Node]) {
        self.nodes = nodes
    }

    /// The indices of the input nodes, in order.
    public var inputNodes: [Int] { nodes.indices.filter { if case .input = nodes[$0].operation { true } else { false } } }

    public var neuronNodes: [Int] {
        nodes.indices.filter { if case .neurons = nodes[$0].operation { true } else { false } }
    }

    /// Whether some edge closes a cycle.
    public var isRecurrent: Bool { nodes.contains { !$0.delayedInputs.isEmpty } }
}
