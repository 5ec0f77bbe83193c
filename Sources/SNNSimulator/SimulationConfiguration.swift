import Foundation
import SNNModel

/// Everything a simulation run needs, validated once at construction: the network, and how many of it to run.
///
/// The network's weight variances must be given per layer (`Initialization.variances`): a scheme's are the theory's
/// to evaluate (the paper's needs the Gaussian tail), and the simulator does not import the theory. Weights are iid
/// with mean 0: N(0, Var[w_l]) for `.gaussian`, Uniform(-sqrt(3 Var[w_l]), sqrt(3 Var[w_l])) for `.uniform`.
public struct SimulationConfiguration: Sendable, Equatable, Codable {
    public let network: Network
    /// B, independent inputs sharing one set of weights.
    public let batch: Int
    /// R, independent networks (weight draws, each with its own inputs).
    public let networks: Int
    public let seed: UInt64
    /// Worker threads; the statistics are bit-identical for every value.
    public let threads: Int
    /// The largest memory the run may plan to use, in bytes.
    public let memoryLimit: Int

    public var architecture: Architecture { network.architecture }
    public var neuron: NeuronModel { network.neuron }
    public var input: InputEncoding { network.input }
    /// T, the number of time steps.
    public var steps: Int { network.steps }
    public var weightDistribution: WeightDistribution { network.weightDistribution }
    /// `weightVariances[l - 1]` = Var[w_l] for layer l = 1...L: the network's, which the initializer checked are given.
    public var weightVariances: [Double] {
        guard case let .variances(variances, _) = network.initialization else { return [] }
        return variances
    }

    public static let maximumBatch = 1_000_000
    public static let maximumNetworks = 10_000_000
    public static let maximumThreads = 256

    /// 75% of physical memory: the default `memoryLimit`.
    public static var defaultMemoryLimit: Int {
        Int(Double(ProcessInfo.processInfo.physicalMemory) * 0.75)
    }

    /// Throws `ModelError` for a parameter out of range or a network whose variances are not given per layer, and
    /// `SimulationError.insufficientMemory` when `estimatedBytes` exceeds `memoryLimit` (default:
    /// `defaultMemoryLimit`).
    public init(network: Network, batch: Int = 1, networks: Int = 1, seed: UInt64 = 0, threads: Int = 1,
                memoryLimit: Int? = nil) throws {
        guard case .variances = network.initialization else {
            throw ModelError.invalid(parameter: "initialization", value: network.initialization.description,
                                     allowed: "weight variances given per layer (the theory evaluates a scheme's)")
        }
        try Self.check("batch", batch, 1...Self.maximumBatch)
        try Self.check("networks", networks, 1...Self.maximumNetworks)
        try Self.check("threads", threads, 1...Self.maximumThreads)
        let limit = memoryLimit ?? Self.defaultMemoryLimit
        guard limit > 0 else {
            throw ModelError.invalid(parameter: "memory limit", value: "\(limit)", allowed: "a positive number of bytes")
        }
        self.network = network
        self.batch = batch
        self.networks = networks
        self.seed = seed
        self.threads = threads
        self.memoryLimit = limit
        let needed = estimatedBytes
        guard needed <= limit else {
            throw SimulationError.insufficientMemory(estimatedBytes: needed, limitBytes: limit)
        }
    }

    private enum CodingKeys: String, CodingKey {
        case network, batch, networks, seed, threads, memoryLimit
    }

    /// Decodes and validates like `init(network:...)`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(network: c.decode(Network.self, forKey: .network), batch: c.decode(Int.self, forKey: .batch),
                      networks: c.decode(Int.self, forKey: .networks), seed: c.decode(UInt64.self, forKey: .seed),
                      threads: c.decode(Int.self, forKey: .threads),
                      memoryLimit: c.decode(Int.self, forKey: .memoryLimit))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(network, forKey: .network)
        try c.encode(batch, forKey: .batch)
        try c.encode(networks, forKey: .networks)
        try c.encode(seed, forKey: .seed)
        try c.encode(threads, forKey: .threads)
        try c.encode(memoryLimit, forKey: .memoryLimit)
    }

    private static func check(_ name: String, _ value: Int, _ range: ClosedRange<Int>) throws {
        guard range.contains(value) else {
            throw ModelError.invalid(parameter: name, value: "\(value)",
                                     allowed: "an integer from \(range.lowerBound) to \(range.upperBound)")
        }
    }

    /// Networks simulated at the same time (each with its own buffers) and worker threads inside each.
    var concurrentNetworks: Int { min(threads, networks) }
    var threadsPerNetwork: Int { max(1, threads / concurrentNetworks) }

    /// The bytes the run plans to allocate (`estimatedBytes(widths:steps:batch:networks:threads:)`).
    public var estimatedBytes: Int {
        Self.estimatedBytes(widths: architecture.widths, steps: steps, batch: batch, networks: networks, threads: threads)
    }

    /// The bytes a run of these sizes plans to allocate, saturating at `Int.max`: per concurrent network (min(threads,
    /// networks)), 4 bytes per Float32 of the largest W_l (n_l, rounded up to a multiple of 32, x n_{l-1}), the input
    /// and output spikes (2 x max_l n_l x B T), the currents (max_l n_l x B T), the compacted inputs or input lists
    /// (2 (max_l n_{l-1} + 4) x B T), per-tile statistics (24 bytes x tiles x B T), per worker a block of 32 drawn
    /// weight columns (4 x 32 x max_l n_l; at most `threads` workers in all); plus the kept results, per network,
    /// layer and step the mean, variance and rate, and once more as the summary's per-network lists (48 bytes x R x L x
    /// T, as `ReducedSampler.estimatedBytes`). Needs no network: a guard can weigh a run before building one.
    public static func estimatedBytes(widths layerWidths: [Int], steps: Int, batch: Int, networks: Int,
                                      threads: Int) -> Int
    {
        let widths = layerWidths.map(Double.init)
        let columns = Double(batch) * Double(steps)
        let maxWidth = widths.max()!, maxLayerWidth = widths.dropFirst().max()!, maxFanIn = widths.dropLast().max()!
        let maxWeights = (1..<widths.count).map { Double(Simulator.paddedWidth(layerWidths[$0])) * widths[$0 - 1] }.max()!
        let tiles = (maxLayerWidth / Double(Simulator.rowsPerTile)).rounded(.up)
        let floats = maxWeights + (2 * maxWidth + maxLayerWidth + 2 * (maxFanIn + 4)) * columns + 3 * maxWidth
        let perNetwork = 4 * floats + 24 * tiles * columns + 17 * columns + 8 * maxWidth
        let results = 48 * Double(networks) * Double(widths.count - 1) * Double(steps)
        let drawBlocks = 4 * Double(Simulator.weightColumnsPerItem) * maxLayerWidth * Double(threads)
        let total = perNetwork * Double(min(threads, networks)) + drawBlocks + results
        return total >= Double(Int.max) ? .max : Int(total)
    }

    /// The dense workload in multiply-adds: sum over layers of n_{l-1} n_l B T, per network, times R.
    /// The simulator does less (it skips inputs that never spike and layers after a silent one), so throughput
    /// in these units compares implementations on the same nominal work.
    public var synapticEvents: Double {
        let widths = architecture.widths.map(Double.init)
        let perColumn = (1..<widths.count).reduce(0.0) { $0 + widths[$1 - 1] * widths[$1] }
        return perColumn * Double(batch) * Double(steps) * Double(networks)
    }
}

/// A run the simulator refuses before starting.
public enum SimulationError: Error, Equatable, CustomStringConvertible {
    case insufficientMemory(estimatedBytes: Int, limitBytes: Int)

    public var description: String {
        switch self {
        case let .insufficientMemory(needed, limit):
            "the simulation needs about \(Self.format(needed)) of memory (weights and activations of the largest "
                + "layer for batch x steps columns, per concurrent network), more than the limit of \(Self.format(limit)); "
                + "reduce the batch, steps, width or threads"
        }
    }

    static func format(_ bytes: Int) -> String {
        if bytes == .max { return "more than \(Int.max / 1_000_000_000_000_000) EB" }
        let units = ["B", "KB", "MB", "GB", "TB", "PB", "EB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}
