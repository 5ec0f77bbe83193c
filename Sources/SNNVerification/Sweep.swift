import Foundation
import SNNFormats
import SNNModel
import SNNSimulator
import SNNSupport
import SNNTheory

/// Everything a sweep holds fixed, checked once: each value in its range, and the reduced sampler's own needs.
public struct SweepSettings: Sendable {
    public let depth: Int
    public let inputSize: Int?
    public let reset: Reset
    public let steps: Int
    public let input: InputEncoding
    public let targetVariance: Double
    public let batch: Int
    public let networks: Int
    public private(set) var seed: UInt64
    public let threads: Int
    /// nil: each initialization's own distribution; always Gaussian for the reduced sampler.
    public let weights: WeightDistribution?
    /// A layer agrees when |empirical - predicted rate| <= tolerance x predicted + 3 standard errors.
    public let tolerance: Double
    public let method: SimulationMethod
    /// The multi-step mean field's integration (T > 1), also the solver's for `target-rate:R` cells.
    public let meanField: TemporalKernelSettings

    /// Throws `ModelError` naming the parameter out of range; at least 2 networks, since every verdict weighs a
    /// deviation against the standard error across networks. The reduced sampler is exact for one input per network
    /// and Gaussian weights: it refuses another batch or uniform weights, and draws Gaussian weights for every cell.
    public init(depth: Int, inputSize: Int?, reset: Reset, steps: Int, input: InputEncoding, targetVariance: Double,
                batch: Int, networks: Int, seed: UInt64, threads: Int, weights: WeightDistribution?, tolerance: Double,
                method: SimulationMethod = .full, meanField: TemporalKernelSettings = TemporalKernelSettings()) throws
    {
        guard depth >= 1, depth <= 100_000 else {
            throw ModelError.invalid(parameter: "depth", value: "\(depth)", allowed: "an integer from 1 to 100000")
        }
        guard steps >= 1, steps <= 1024 else {
            throw ModelError.invalid(parameter: "steps", value: "\(steps)", allowed: "an integer from 1 to 1024")
        }
        _ = try InitScheme.checkedTargetVariance(targetVariance)
        guard tolerance.isFinite, tolerance > 0, tolerance < 1 else {
            throw ModelError.invalid(parameter: "tolerance", value: "\(tolerance)", allowed: "a number in (0, 1)")
        }
        guard batch >= 1, batch <= SimulationConfiguration.maximumBatch else {
            throw ModelError.invalid(parameter: "batch", value: "\(batch)",
                                     allowed: "an integer from 1 to \(SimulationConfiguration.maximumBatch)")
        }
        guard networks >= 2, networks <= SimulationConfiguration.maximumNetworks else {
            throw ModelError.invalid(parameter: "networks", value: "\(networks)",
                                     allowed: "an integer from 2 to \(SimulationConfiguration.maximumNetworks) (the "
                                         + "verdicts need standard errors across networks)")
        }
        guard threads >= 1, threads <= SimulationConfiguration.maximumThreads else {
            throw ModelError.invalid(parameter: "threads", value: "\(threads)",
                                     allowed: "an integer from 1 to \(SimulationConfiguration.maximumThreads)")
        }
        if let inputSize, !(inputSize >= 1 && inputSize <= Architecture.maximumWidth) {
            throw ModelError.invalid(parameter: "input-size", value: "\(inputSize)",
                                     allowed: "an integer from 1 to \(Architecture.maximumWidth)")
        }
        var weights = weights
        if method == .reduced {
            guard batch == 1 else {
                throw ModelError.invalid(parameter: "batch", value: "\(batch)",
                                         allowed: "1 with --method reduced (the sampler is exact for one input per network)")
            }
            guard weights != .uniform else {
                throw ModelError.invalid(parameter: "weights", value: "uniform",
                                         allowed: "gaussian with --method reduced (exact for Gaussian weights only)")
            }
            weights = .gaussian
        }
        self.depth = depth
        self.inputSize = inputSize
        self.reset = reset
        self.steps = steps
        self.input = input
        self.targetVariance = targetVariance
        self.batch = batch
        self.networks = networks
        self.seed = seed
        self.threads = threads
        self.weights = weights
        self.tolerance = tolerance
        self.method = method
        self.meanField = meanField
    }

    /// Refuses mean-field sizes or work `TemporalKernelSettings` refuses: per cell the multi-step mean field takes two
    /// evaluations per layer, and with `solving` (a target-rate initialization) the solver about 20 more.
    public func checkMeanFieldWork(solving: Bool) throws {
        try TemporalKernelSettings.checkQuasiMonteCarlo(points: meanField.points, replicates: meanField.replicates)
        try TemporalKernelSettings.checkWork(steps: steps, points: meanField.points, replicates: meanField.replicates,
                                             layerEvaluations: depth * (solving ? 22 : 2))
    }

    /// The same settings with another seed (each cell runs with its own).
    public func with(seed: UInt64) -> SweepSettings {
        var settings = self
        settings.seed = seed
        return settings
    }
}

/// The lists a sweep runs over, as given on the command line and echoed in every record's header: each value once,
/// in the order given. Refusals are `ModelError`s naming the list.
public enum SweepLists {
    /// Layer widths.
    public static func widths(_ text: String) throws -> [Int] {
        try list(text, "widths", "comma-separated integers from 1 to \(Architecture.maximumWidth)") {
            Int($0).flatMap { $0 >= 1 && $0 <= Architecture.maximumWidth ? $0 : nil }
        }
    }

    /// Thresholds. (+ 0 turns -0 into 0: a cell's seed is taken from the bits of its theta and beta.)
    public static func thetas(_ text: String) throws -> [Double] {
        try list(text, "thetas", "comma-separated finite numbers > 0") {
            Double($0).flatMap { $0.isFinite && $0 > 0 ? $0 + 0 : nil }
        }
    }

    /// Leaks.
    public static func betas(_ text: String) throws -> [Double] {
        try list(text, "betas", "comma-separated numbers in [0, 1]") {
            Double($0).flatMap { $0 >= 0 && $0 <= 1 ? $0 + 0 : nil }
        }
    }

    /// Schemes and `target-rate:R`, each under the name `CellInitialization` gives it.
    public static func inits(_ text: String) throws -> [String] {
        let allowed = CellInitialization.allowedNames
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard !items.contains(where: \.isEmpty) else {
            throw ModelError.invalid(parameter: "inits", value: text, allowed: "a comma-separated list of " + allowed)
        }
        let schemes = try items.map { item in
            do { return try CellInitialization(parsing: item).name } catch let ModelError.invalid(_, value, reason) {
                throw ModelError.invalid(parameter: "inits", value: value,
                                         allowed: item.hasPrefix(CellInitialization.targetRatePrefix) ? reason : allowed)
            }
        }
        if let repeated = schemes.enumerated().first(where: { schemes[..<$0.offset].contains($0.element) }) {
            throw ModelError.invalid(parameter: "inits", value: text,
                                     allowed: "each initialization once ('\(repeated.element)' repeats)")
        }
        return schemes
    }

    private static func list<T: Equatable>(_ text: String, _ name: String, _ allowed: String,
                                           _ parse: (String) -> T?) throws -> [T]
    {
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        var values: [T] = []
        for item in items {
            guard let v = parse(item) else { throw ModelError.invalid(parameter: name, value: item, allowed: allowed) }
            guard !values.contains(v) else {
                throw ModelError.invalid(parameter: name, value: text, allowed: "each value once ('\(item)' repeats one)")
            }
            values.append(v)
        }
        return values
    }
}

/// Slice `index` (0-based) of `count`: the cells whose position in the sweep is index mod count. The slices of one
/// count partition the sweep, whatever its size.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int
    public static let whole = Shard(index: 0, count: 1)

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Parses `I/N` with 1 <= I <= N.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0].trimmingCharacters(in: .whitespaces)),
              let n = Int(parts[1].trimmingCharacters(in: .whitespaces)), n >= 1, n <= 1_000_000, i >= 1, i <= n
        else {
            throw ModelError.invalid(parameter: "shard", value: text,
                                     allowed: "I/N with 1 <= I <= N <= 1000000, e.g. 2/8 (Slurm: --array=1-N)")
        }
        self.init(index: i - 1, count: n)
    }

    public func contains(_ position: Int) -> Bool { position % count == index }

    /// As written on the command line: I/N, I from 1.
    public var description: String { "\(index + 1)/\(count)" }
}

/// A cell's weight variances as planned: a fixed scheme's, computed and checked once when the sweep is planned, or
/// a target rate whose per-layer scales the solver finds when the cell runs.
public enum CellScales: Sendable, Equatable {
    case scheme(InitScheme, variances: [Double])
    case targetRate(Double)
}

/// The cells of a sweep in sweep order, the settings they share, the slice this process runs, and each cell's scales.
public struct SweepPlan: Sendable {
    /// Every cell of the sweep, in sweep order (init, then beta, then width, then theta).
    public let cells: [ComparisonCell]
    public let settings: SweepSettings
    public let shard: Shard
    /// `scales[i]` for `cells[i]`.
    public let scales: [CellScales]

    /// Computes each fixed scheme's weight variances (`scales`), the ones its cell then runs with, and refuses,
    /// before any work, a cell whose variances are not finite and positive or whose membrane variance could overflow
    /// (a bound: n Var[w] times the input's second moment, or 1 for spikes). The solver's scales (`target-rate:R`)
    /// hold a rate in (0, 1) and are checked as they are solved.
    public init(cells: [ComparisonCell], settings s: SweepSettings, shard: Shard = .whole) throws {
        self.cells = cells
        settings = s
        self.shard = shard
        scales = try cells.map { cell in
            let scheme: InitScheme
            switch try CellInitialization(parsing: cell.scheme) {
            case let .targetRate(rate): return .targetRate(rate)
            case let .scheme(fixed): scheme = fixed
            }
            let architecture = try Architecture(inputSize: s.inputSize ?? cell.width, width: cell.width, depth: s.depth)
            let neuron = try NeuronModel(threshold: cell.theta, leak: cell.beta, reset: s.reset)
            let variances = try WeightVariance.checked(scheme, architecture: architecture,
                                                     neuron: neuron, input: s.input, targetVariance: s.targetVariance)
            for (i, v) in variances.enumerated() {
                let bound = Double(architecture.fanIn(layer: i + 1)) * v * (i == 0 ? max(1, s.input.secondMoment) : 1)
                guard v.isFinite, v > 0, bound < 1e300 else {
                    let paper = cell.scheme == "paper"
                    throw ModelError.invalid(
                        parameter: paper ? "target-variance" : "thetas",
                        value: paper ? Format.exact(s.targetVariance) : Format.exact(cell.theta),
                        allowed: "a target variance and thresholds that give every cell a finite positive Var[w] "
                            + "and membrane variances below 1e300 (width \(cell.width), theta \(cell.theta), \(cell.scheme) gives "
                            + "Var[w_\(i + 1)] = \(v))")
                }
            }
            return .scheme(scheme, variances: variances)
        }
    }

    /// The cells of a sweep over these lists, in sweep order (init, then beta, then width, then theta).
    public static func cells(widths: [Int], thetas: [Double], betas: [Double], inits: [String]) -> [ComparisonCell] {
        var cells: [ComparisonCell] = []
        for s in inits { for b in betas { for w in widths { for t in thetas {
            cells.append(ComparisonCell(width: w, theta: t, beta: b, scheme: s))
        } } } }
        return cells
    }

    /// The rates R of the `target-rate:R` initializations among the cells. At T = 1 the first-step rate of a
    /// zero-mean potential stays below 0.5, so R >= 0.5 is refused there.
    public static func targetRates(of cells: [ComparisonCell], steps: Int) throws -> [Double] {
        let rates = try cells.compactMap { cell -> Double? in
            guard case let .targetRate(r) = try CellInitialization(parsing: cell.scheme) else { return nil }
            return r
        }
        if steps == 1, let r = rates.first(where: { $0 >= 0.5 }) {
            throw ModelError.invalid(parameter: "inits", value: CellInitialization.targetRate(r).name,
                                     allowed: "target-rate:R with R in (0, 0.5) at --steps 1 (the first-step rate of a "
                                         + "zero-mean potential stays below 0.5), or --steps above 1")
        }
        return rates
    }

    /// The seed of one cell: the sweep's seed and the cell's width, theta, beta and init, each through SplitMix64's
    /// mixer. A cell's result is a function of the settings and the cell alone, whatever else the sweep holds.
    public static func cellSeed(_ seed: UInt64, _ cell: ComparisonCell) -> UInt64 {
        var name: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a of the init's name: stable across processes and runs
        for byte in cell.scheme.utf8 { name = (name ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        var key = SplitMix64.mix(seed &+ 0x2545_F491_4F6C_DD1D)
        for part in [UInt64(truncatingIfNeeded: cell.width), cell.theta.bitPattern, cell.beta.bitPattern, name] {
            key = SplitMix64.mix(key ^ part)
        }
        return key
    }

    /// The positions of this shard's cells, in sweep order.
    public var positions: [Int] { cells.indices.filter(shard.contains) }

    /// The bytes the widest cell plans to allocate: the simulator's estimate (weight matrices and activations), or
    /// the reduced sampler's, which keeps no weight matrix.
    public var largestCellBytes: Int {
        let widest = cells.map(\.width).max() ?? 0
        let s = settings
        if s.method == .reduced {
            return ReducedSampler.estimatedBytes(depth: s.depth, steps: s.steps, networks: s.networks, threads: s.threads)
        }
        return SimulationConfiguration.estimatedBytes(
            widths: [s.inputSize ?? widest] + Array(repeating: widest, count: s.depth), steps: s.steps, batch: s.batch,
            networks: s.networks, threads: s.threads)
    }
}
