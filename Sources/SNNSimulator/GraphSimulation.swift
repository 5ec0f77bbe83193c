import Foundation
import SNNModel

/// What a graph's input nodes receive.
public enum GraphInput: Sendable, Equatable {
    /// Drawn from the seed, as `InputEncoding` describes: Bernoulli(p) spikes, independent per input element, batch
    /// item and step; or N(0, s^2) values drawn once per element and batch item and held over the steps. Batch item b
    /// of the input node at index k of the graph's nodes draws from its own stream (seed, network 0, layer k, block
    /// b), elements in order, step after step, so the draws do not depend on the thread count.
    case encoding(InputEncoding)
    /// Given values (a user's array), row-major Float32, for a graph with one input node: shape [batch, steps, input
    /// shape...] (a frame per step) or [batch, input shape...] (the same frame at every step).
    case array(values: [Float], shape: [Int])
}

/// A `NetworkGraph` simulated as read, in discrete time, on a batch of inputs: at each step t = 1...T the nodes run
/// in graph order, each on the sum of its inputs (`NetworkGraph.Node`), and every neuron node's spikes and membrane
/// are summarized in `GraphStatistics`.
///
/// Arithmetic is Float32, statistics Double. Per node, on the Float32 sum of its inputs (the inputs in order, then
/// the delayed inputs, the previous step's outputs, zero at t = 1):
/// - dense: y = x W^T + b as one matrix product over the batch (`MatrixMultiply`, batch x inputs times inputs x
///   outputs), then the bias added;
/// - convolution (1-D as 2-D of height 1): the input zero-padded, im2col rows (one per output position, its window
///   channel by channel, then kernel row, then kernel column) times the group's weights transposed, then the bias;
/// - pooling: the window's sum in row-major order over the padded window (zero outside), divided by the full window
///   size for `average` (PyTorch's default, padding counted);
/// - flatten and output: the data unchanged; scale: y = s x;
/// - neurons: `NetworkGraph.NeuronLayer`'s update, in Float32 in this order, without fused multiply-add:
///   I = alpha I + x (with a synaptic leak; else I = x), v = ((leak v) + (gain I)) + bias, u = v; spikes n = 1 when
///   v > theta, or, multi-spike, n = floor(v / theta) when v >= theta; then v = v - theta n (subtract) or v = reset
///   value where n > 0; a node without threshold outputs v. The statistics take u, before the reset.
///
/// Every matrix product sums each entry in an order fixed by its inner dimension alone, and all other work is cut
/// into pieces that do not depend on the thread count, so results are the same bits for every `threads`.
public struct GraphSimulation: Sendable {
    public let graph: NetworkGraph
    /// T, the number of steps.
    public let steps: Int
    /// B, independent input samples run through the same graph.
    public let batch: Int
    public let input: GraphInput
    public let seed: UInt64
    /// Worker threads (for the matrix products too); the results are the same bits for every value.
    public let threads: Int
    /// The largest memory the run may plan to use, in bytes.
    public let memoryLimit: Int

    public static let maximumSteps = 1_000_000

    /// Throws `ModelError` for steps, batch or threads out of range or an input that does not fit the graph,
    /// `GraphSimulationError.unsupported` for a node this simulator cannot run as given (shapes that do not follow
    /// from its operation, a multi-spike neuron with a threshold not above zero), and
    /// `GraphSimulationError.insufficientMemory` when `estimatedBytes` exceeds `memoryLimit` (default: 75% of
    /// physical memory, `SimulationConfiguration.defaultMemoryLimit`).
    public init(graph: NetworkGraph, steps: Int, batch: Int, input: GraphInput, seed: UInt64 = 0, threads: Int = 1,
                memoryLimit: Int? = nil) throws {
        try Self.check("steps", steps, 1...Self.maximumSteps)
        try Self.check("batch", batch, 1...SimulationConfiguration.maximumBatch)
        try Self.check("threads", threads, 1...SimulationConfiguration.maximumThreads)
        let limit = memoryLimit ?? SimulationConfiguration.defaultMemoryLimit
        guard limit > 0 else {
            throw ModelError.invalid(parameter: "memory limit", value: "\(limit)", allowed: "a positive number of bytes")
        }
        try GraphPlan.validate(graph)
        try Self.validate(input, graph: graph, steps: steps, batch: batch)
        self.graph = graph
        self.steps = steps
        self.batch = batch
        self.input = input
        self.seed = seed
        self.threads = threads
        self.memoryLimit = limit
        let needed = estimatedBytes
        guard needed <= limit else {
            throw GraphSimulationError.insufficientMemory(estimatedBytes: needed, limitBytes: limit)
        }
    }

    /// The bytes the run plans to allocate (`GraphPlan.estimatedBytes`), saturating at `Int.max`.
    public var estimatedBytes: Int { GraphPlan(graph).estimatedBytes(steps: steps, batch: batch, threads: threads) }

    /// Runs the T steps. `progress` is called after each step with (steps done, T), from the calling thread. Throws
    /// `GraphSimulationError.nonFinite` when a neuron node's membrane becomes NaN or infinite (the step it did).
    public func run(progress: (@Sendable (_ step: Int, _ steps: Int) -> Void)? = nil) throws -> GraphStatistics {
        let start = DispatchTime.now().uptimeNanoseconds
        let workspace = GraphWorkspace(self)
        for t in 1...steps {
            try workspace.step(t)
            progress?(t, steps)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return workspace.statistics(elapsedSeconds: seconds)
    }

    static func check(_ name: String, _ value: Int, _ range: ClosedRange<Int>) throws {
        guard range.contains(value) else {
            throw ModelError.invalid(parameter: name, value: "\(value)",
                                     allowed: "an integer from \(range.lowerBound) to \(range.upperBound)")
        }
    }

    static func validate(_ input: GraphInput, graph: NetworkGraph, steps: Int, batch: Int) throws {
        switch input {
        case .encoding(.bernoulli(let p)):
            guard p >= 0, p <= 1 else {
                throw ModelError.invalid(parameter: "input", value: "bernoulli:\(p)", allowed: "0 <= P <= 1")
            }
        case .encoding(.gaussian(let s)):
            guard s >= 0, s.isFinite else {
                throw ModelError.invalid(parameter: "input", value: "gaussian:\(s)", allowed: "a finite S >= 0")
            }
        case .array(let values, let shape):
            let inputs = graph.inputNodes
            guard inputs.count == 1 else {
                throw ModelError.invalid(parameter: "input array", value: "one array",
                                         allowed: "a graph with one input node (this one has \(inputs.count))")
            }
            let frame = graph.nodes[inputs[0]].outputShape
            let allowed = "shape \([batch, steps] + frame) or \([batch] + frame) (batch, steps, the input node's shape)"
            guard shape == [batch, steps] + frame || shape == [batch] + frame else {
                throw ModelError.invalid(parameter: "input array shape", value: "\(shape)", allowed: allowed)
            }
            guard values.count == shape.reduce(1, *) else {
                throw ModelError.invalid(parameter: "input array", value: "\(values.count) values",
                                         allowed: "\(shape.reduce(1, *)) values for shape \(shape)")
            }
        }
    }
}

/// A graph run the simulator refuses.
public enum GraphSimulationError: Error, Equatable, CustomStringConvertible {
    case insufficientMemory(estimatedBytes: Int, limitBytes: Int)
    /// A node the simulator cannot run as given; `reason` says why.
    case unsupported(node: String, reason: String)
    /// A neuron node's membrane became NaN or infinite at `step`.
    case nonFinite(node: String, step: Int)

    public var description: String {
        switch self {
        case let .insufficientMemory(needed, limit):
            "the graph simulation needs about \(SimulationError.format(needed)) of memory (every node's outputs and "
                + "the neurons' state for the batch, the weights, the convolutions' im2col buffers), more than the "
                + "limit of \(SimulationError.format(limit)); reduce the batch or threads"
        case let .unsupported(node, reason):
            "node '\(node)': \(reason)"
        case let .nonFinite(node, step):
            "node '\(node)': the membrane became NaN or infinite at step \(step) (check the weights and parameters)"
        }
    }
}
