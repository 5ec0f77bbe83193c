import Foundation
import SNNModel

/// Everything a simulation run needs, validated once at construction.
///
/// The weight variances are the caller's (usually `SNNTheory.weightVariances` for an `InitScheme`):
/// `weightVariances[l - 1]` = Var[w_l] for layer l = 1...L. Weights are iid with mean 0: N(0, Var[w_l]) for
/// `.gaussian`, Uniform(-sqrt(3 Var[w_l]), sqrt(3 Var[w_l])) for `.uniform`.
public struct SimulationConfiguration: Sendable, Equatable, Codable {
    public let architecture: Architecture
    public let neuron: NeuronModel
    public let input: InputEncoding
    public let weightVariances: [Double]
    public let weightDistribution: WeightDistribution
    /// T, the number of time steps.
    public let steps: Int
    /// B, independent inputs sharing one set of weights.
    public let batch: Int
    /// R, independent networks (weight draws, each with its own inputs).
    public let networks: Int
    public let seed: UInt64
    /// Worker threads; the statistics are bit-identical for every value.
    public let threads: Int
    /// The largest memory the run may plan to use, in bytes.
    public let memoryLimit: Int

    public static let maximumSteps = 1_000_000
    public static let maximumBatch = 1_000_000
    public static let maximumNetworks = 10_000_000
    public static let maximumThreads = 256

    /// 75% of physical memory: the default `memoryLimit`.
    public static var defaultMemoryLimit: Int {
        Int(Double(ProcessInfo.processInfo.physicalMemory) * 0.75)
    }

    /// Throws `ModelError` for a parameter out of range and `SimulationError.insufficientMemory` when
    /// `estimatedBytes` exceeds `memoryLimit` (default: `defaultMemoryLimit`).
    public init(architecture: Architecture, neuron: NeuronModel, input: InputEncoding, weightVariances: [Double],
                weightDistribution: WeightDistribution = .gaussian, steps: Int, batch: Int = 1, networks: Int = 1,
                seed: UInt64 = 0, threads: Int = 1, memoryLimit: Int? = nil) throws {
        guard weightVariances.count == architecture.depth else {
            throw ModelError.invalid(parameter: "weight variances", value: "\(weightVariances.count) values",
                                     allowed: "one per layer (\(architecture.depth))")
        }
        for v in weightVariances where !(v.isFinite && v >= 0) {
            throw ModelError.invalid(parameter: "weight variance", value: "\(v)", allowed: "a finite number >= 0")
        }
        try Self.check("steps", steps, 1...Self.maximumSteps)
        try Self.check("batch", batch, 1...Self.maximumBatch)
        try Self.check("networks", networks, 1...Self.maximumNetworks)
        try Self.check("threads", threads, 1...Self.maximumThreads)
        guard batch * steps <= Int(Int32.max) else {
            throw ModelError.invalid(parameter: "batch x steps", value: "\(batch * steps)",
                                     allowed: "at most \(Int32.max) (one BLAS call spans all of them)")
        }
        let limit = memoryLimit ?? Self.defaultMemoryLimit
        guard limit > 0 else {
            throw ModelError.invalid(parameter: "memory limit", value: "\(limit)", allowed: "a positive number of bytes")
        }
        self.architecture = architecture
        self.neuron = neuron
        self.input = input
        self.weightVariances = weightVariances
        self.weightDistribution = weightDistribution
        self.steps = steps
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
        case architecture, neuron, input, weightVariances, weightDistribution, steps, batch, networks, seed, threads,
             memoryLimit
    }

    /// Decodes and validates like `init(architecture:...)`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(architecture: c.decode(Architecture.self, forKey: .architecture),
                      neuron: c.decode(NeuronModel.self, forKey: .neuron),
                      input: c.decode(InputEncoding.self, forKey: .input),
                      weightVariances: c.decode([Double].self, forKey: .weightVariances),
                      weightDistribution: c.decode(WeightDistribution.self, forKey: .weightDistribution),
                      steps: c.decode(Int.self, forKey: .steps), batch: c.decode(Int.self, forKey: .batch),
                      networks: c.decode(Int.self, forKey: .networks), seed: c.decode(UInt64.self, forKey: .seed),
                      threads: c.decode(Int.self, forKey: .threads),
                      memoryLimit: c.decode(Int.self, forKey: .memoryLimit))
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

    /// The bytes the run plans to allocate, saturating at `Int.max`: per concurrent network, 4 bytes per Float32 of
    /// the largest W_l (n_l, rounded up to a multiple of 32, x n_{l-1}), the input and output spikes (2 x max_l n_l x B T), the currents
    /// (max_l n_l x B T), the compacted inputs or input lists (2 (max_l n_{l-1} + 4) x B T), per-tile statistics
    /// (24 bytes x tiles x B T); plus the kept results, per network, layer and step the mean, variance and rate, and
    /// once more as the summary's per-network lists (48 bytes x R x L x T, as `ReducedSampler.estimatedBytes`).
    public var estimatedBytes: Int {
        let widths = architecture.widths.map(Double.init)
        let columns = Double(batch) * Double(steps)
        let maxWidth = widths.max()!, maxLayerWidth = widths.dropFirst().max()!, maxFanIn = widths.dropLast().max()!
        let maxWeights = (1..<widths.count).map { Double(Simulator.paddedWidth(architecture.widths[$0])) * widths[$0 - 1] }.max()!
        let tiles = (maxLayerWidth / Double(Simulator.rowsPerTile)).rounded(.up)
        let floats = maxWeights + (2 * maxWidth + maxLayerWidth + 2 * (maxFanIn + 4)) * columns + 3 * maxWidth
        let perNetwork = 4 * floats + 24 * tiles * columns + 17 * columns + 8 * maxWidth
        let results = 48 * Double(networks) * Double(architecture.depth) * Double(steps)
        let total = perNetwork * Double(concurrentNetworks) + results
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
