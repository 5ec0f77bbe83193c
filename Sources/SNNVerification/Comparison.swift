import Foundation
import SNNModel
import SNNSimulator
import SNNTheory

/// One cell of a sweep: the network and neuron settings that vary across a `compare` run.
public struct ComparisonCell: Sendable, Equatable, Codable {
    public let width: Int
    public let theta: Double
    public let beta: Double
    public let scheme: String

    public init(width: Int, theta: Double, beta: Double, scheme: String) {
        self.width = width
        self.theta = theta
        self.beta = beta
        self.scheme = scheme
    }
}

/// Everything a sweep holds fixed.
public struct SweepSettings: Sendable {
    public let depth: Int
    public let inputSize: Int?
    public let reset: Reset
    public let steps: Int
    public let input: InputEncoding
    public let targetVariance: Double
    public let batch: Int
    public let networks: Int
    public let seed: UInt64
    public let threads: Int
    public let weights: WeightDistribution?
    /// A layer agrees when |empirical - predicted rate| <= tolerance x predicted + 3 standard errors.
    public let tolerance: Double

    public init(depth: Int, inputSize: Int?, reset: Reset, steps: Int, input: InputEncoding, targetVariance: Double,
                batch: Int, networks: Int, seed: UInt64, threads: Int, weights: WeightDistribution?, tolerance: Double)
    {
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
    }
}

/// Predicted (mean field, and exact finite width where available) against empirical, for one layer at t = 1.
public struct LayerComparison: Sendable, Equatable, Codable {
    public let layer: Int
    public let predictedVariance: Double
    public let predictedRate: Double
    /// The exact finite-width chain's mean rate over networks (first step), when computed.
    public let finiteWidthRate: Double?
    /// The chain's probability that the layer is silent (one input).
    public let finiteWidthSilentProbability: Double?
    public let empiricalVariance: Double
    public let empiricalVarianceError: Double?
    public let empiricalRate: Double
    public let empiricalRateError: Double?
    public let empiricalSilentFraction: Double
    public let empiricalSilentFractionError: Double?
    /// The slope chi of the variance map into this layer (nil at layer 1).
    public let fixedPointSlope: Double?

    /// (empirical - predicted) / predicted membrane variance; nil when the prediction is 0.
    public var relativeVarianceDeviation: Double? {
        predictedVariance > 0 ? (empiricalVariance - predictedVariance) / predictedVariance : nil
    }

    /// (empirical - predicted rate) in standard errors of the empirical rate.
    public var rateDeviationInStandardErrors: Double? {
        guard let se = empiricalRateError, se > 0 else { return nil }
        return (empiricalRate - predictedRate) / se
    }

    /// The same against the finite-width prediction.
    public var finiteWidthRateDeviationInStandardErrors: Double? {
        guard let se = empiricalRateError, se > 0, let f = finiteWidthRate else { return nil }
        return (empiricalRate - f) / se
    }

    /// The rate within tolerance x rate + 3 standard errors, and (the mean field has no silent networks) at most
    /// 1% of the networks silent.
    func agrees(with rate: Double, tolerance: Double) -> Bool {
        abs(empiricalRate - rate) <= tolerance * rate + 3 * (empiricalRateError ?? 0) + 1e-12
            && empiricalSilentFraction <= 0.01
    }
}

/// The result of one cell.
public struct CellComparison: Sendable, Equatable, Codable {
    public let cell: ComparisonCell
    public let layers: [LayerComparison]
    public let holdsToDepth: Int
    public let verdict: String

    /// The largest |rate deviation| in standard errors over the layers (the summary's "worst deviation").
    public var worstRateDeviation: Double {
        layers.compactMap(\.rateDeviationInStandardErrors).map(abs).max() ?? 0
    }
}

/// Runs the theory and the simulator for one cell and explains the difference.
public enum Comparison {
    public static func compare(_ cell: ComparisonCell, settings s: SweepSettings,
                               finiteWidth: ((Architecture, NeuronModel, InputEncoding, [Double]) throws
                                   -> [(meanRate: Double, silentProbability: Double)])? = nil,
                               progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> CellComparison
    {
        let architecture = try Architecture(inputSize: s.inputSize ?? cell.width, width: cell.width, depth: s.depth)
        let neuron = try NeuronModel(threshold: cell.theta, leak: cell.beta, reset: s.reset)
        let scheme = try InitScheme(parsing: cell.scheme)
        let variances = try WeightVariance.checked(scheme, architecture: architecture, neuron: neuron, input: s.input,
                                                 targetVariance: s.targetVariance)
        let predicted = VarianceRecursion.firstStep(architecture: architecture, neuron: neuron, input: s.input,
                                                    weightVariances: variances)
        // The exact chain covers layers up to FiniteWidthChain.widthLimit; wider cells compare with the mean field only.
        let chain = (architecture.widths.max() ?? 0) <= FiniteWidthChain.widthLimit
            ? try finiteWidth?(architecture, neuron, s.input, variances)
            : nil
        let configuration = try SimulationConfiguration(
            architecture: architecture, neuron: neuron, input: s.input, weightVariances: variances,
            weightDistribution: s.weights ?? scheme.naturalDistribution, steps: s.steps, batch: s.batch,
            networks: s.networks, seed: s.seed, threads: s.threads)
        let empirical = Simulator.run(configuration, progress: progress)
        let layers = (0..<s.depth).map { i in
            let p = predicted[i], e = empirical.layers[i], first = e.steps[0]
            return LayerComparison(
                layer: i + 1, predictedVariance: p.membraneVariance, predictedRate: p.rate,
                finiteWidthRate: chain?[i].meanRate, finiteWidthSilentProbability: chain?[i].silentProbability,
                empiricalVariance: first.membraneVariance.mean, empiricalVarianceError: first.membraneVariance.standardError,
                empiricalRate: first.rate.mean, empiricalRateError: first.rate.standardError,
                empiricalSilentFraction: e.silentFraction, empiricalSilentFractionError: e.silentFractionStandardError,
                fixedPointSlope: p.fixedPointSlope)
        }
        let (depth, verdict) = judge(layers, cell: cell, tolerance: s.tolerance)
        return CellComparison(cell: cell, layers: layers, holdsToDepth: depth, verdict: verdict)
    }

    /// The deepest layer to which the mean field holds, and why it stops holding.
    static func judge(_ layers: [LayerComparison], cell: ComparisonCell, tolerance: Double) -> (Int, String) {
        let tol = String(format: "%g%%", tolerance * 100)
        guard let failure = layers.first(where: { !$0.agrees(with: $0.predictedRate, tolerance: tolerance) }) else {
            return (layers.count, "holds within \(tol) (+3 standard errors) to depth \(layers.count)")
        }
        let y = failure.layer
        var reason: String
        let silentEmpirical = failure.empiricalSilentFraction
        let silentPredicted = failure.finiteWidthSilentProbability ?? 0
        if silentEmpirical > 0.01 || silentPredicted > 0.01 {
            reason = String(format: "networks go silent (%.0f%% of them by layer %d", 100 * silentEmpirical, y)
                + (failure.finiteWidthSilentProbability.map { String(format: "; the exact chain predicts %.0f%%", 100 * $0) } ?? "")
                + "): too narrow at width \(cell.width) for theta \(cell.theta)"
        } else if let chi = failure.fixedPointSlope, chi > 1 {
            reason = String(format: "unstable fixed point (chi = %.3g > 1): threshold %g is too high for the target "
                + "variance, and deviations grow %.3gx per layer", chi, cell.theta, chi)
        } else if let f = failure.finiteWidthRate, abs(failure.empiricalRate - f)
            <= tolerance * f + 3 * (failure.empiricalRateError ?? 0)
        {
            reason = String(format: "finite-width bias: the exact chain at width %d predicts rate %.4g, the mean "
                + "field %.4g; the simulation measured %.4g", cell.width, f, failure.predictedRate, failure.empiricalRate)
        } else {
            reason = String(format: "rate %.4g measured against %.4g predicted", failure.empiricalRate,
                            failure.predictedRate)
        }
        if y == 1 { reason = "breaks at layer 1: " + reason } else { reason = "holds to depth \(y - 1), breaks at layer \(y): " + reason }
        return (y - 1, reason)
    }
}
