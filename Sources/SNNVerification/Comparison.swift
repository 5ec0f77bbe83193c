import Foundation
import SNNFormats
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

extension ComparisonCell: CustomStringConvertible {
    /// "width 100, theta 0.5, beta 0.9, paper": how messages and progress name the cell.
    public var description: String {
        "width \(width), theta \(Format.number(theta)), beta \(Format.number(beta)), \(scheme)"
    }
}

/// What sets a cell's weight variances: a fixed initialization scheme, or the solver's per-layer scales that hold a
/// target rate at every layer (`InitializationSolver`: time-averaged over the cell's T steps, the first step when
/// T = 1). Its name (`ComparisonCell.scheme`) is the scheme's, or `target-rate:R`.
public enum CellInitialization: Sendable, Equatable {
    case scheme(InitScheme)
    case targetRate(Double)

    public static let targetRatePrefix = "target-rate:"

    /// The names a sweep's list of initializations accepts.
    public static let allowedNames = InitScheme.allowedNames + ", or target-rate:R (the solver's per-layer scales that "
        + "hold the rate R in (0, 1), time-averaged over --steps)"

    /// A scheme name as `InitScheme` parses it, or `target-rate:R` with R in (0, 1).
    public init(parsing text: String) throws {
        guard text.hasPrefix(Self.targetRatePrefix) else {
            self = .scheme(try InitScheme(parsing: text))
            return
        }
        guard let r = Double(text.dropFirst(Self.targetRatePrefix.count)), r > 0, r < 1 else {
            throw ModelError.invalid(parameter: "init", value: text, allowed: "target-rate:R with R in (0, 1)")
        }
        self = .targetRate(r)
    }

    public var name: String {
        switch self {
        case let .scheme(s): s.description
        case let .targetRate(r): Self.targetRatePrefix + "\(r)"
        }
    }
}

/// How a cell's networks are simulated.
public enum SimulationMethod: String, Sendable, CaseIterable {
    /// `Simulator.run`: the networks with their weight matrices.
    case full
    /// `ReducedSampler.run`: exact for Gaussian weights and one input per network, O(n T^2) per layer.
    case reduced
}

/// The rate averaged over t = 1..T (T > 1) of one layer: the multi-step mean field against the simulation.
public struct TimeAveragedComparison: Sendable, Equatable, Codable {
    /// `TemporalLayer.timeAveragedRate` and its standard error.
    public let predictedRate: Double
    public let predictedRateError: Double
    /// The mean over networks of each network's rate averaged over t = 1..T, and its standard error.
    public let empiricalRate: Double
    public let empiricalRateError: Double?
    /// The standard deviation of the networks' time-averaged rates (nil for one network).
    public let empiricalSpread: Double?

    public init(predictedRate: Double, predictedRateError: Double, empiricalRate: Double, empiricalRateError: Double?,
                empiricalSpread: Double?)
    {
        self.predictedRate = predictedRate
        self.predictedRateError = predictedRateError
        self.empiricalRate = empiricalRate
        self.empiricalRateError = empiricalRateError
        self.empiricalSpread = empiricalSpread
    }

    /// The standard errors of the simulation and of the mean field, combined in quadrature.
    public var combinedError: Double {
        let e = empiricalRateError ?? 0
        return (e * e + predictedRateError * predictedRateError).squareRoot()
    }

    /// (empirical - predicted) / predicted; nil when the prediction is 0.
    public var relativeDeviation: Double? {
        predictedRate > 0 ? (empiricalRate - predictedRate) / predictedRate : nil
    }

    /// (empirical - predicted) in combined standard errors.
    public var deviationInStandardErrors: Double? {
        combinedError > 0 ? (empiricalRate - predictedRate) / combinedError : nil
    }

    /// Within tolerance x predicted + 3 combined standard errors.
    func agrees(tolerance: Double) -> Bool {
        abs(empiricalRate - predictedRate) <= tolerance * predictedRate + 3 * combinedError + 1e-12
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
    /// The time-averaged rate over t = 1..T, when T > 1.
    public let timeAveraged: TimeAveragedComparison?

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
    /// When T > 1: the first layer from which the time-averaged rate stays outside tolerance + 3 combined standard
    /// errors of the multi-step mean field, down to the last layer; nil when it agrees at the last layer (or T = 1).
    public let driftsFromLayer: Int?
    public let verdict: String

    /// The largest |rate deviation| in standard errors over the layers (the summary's "worst deviation").
    public var worstRateDeviation: Double {
        layers.compactMap(\.rateDeviationInStandardErrors).map(abs).max() ?? 0
    }
}

/// Runs the theory and the simulator for one cell and explains the difference.
public enum Comparison {
    /// The cell's network, its theory (the first step; the multi-step mean field when T > 1; the exact finite-width
    /// chain up to `FiniteWidthChain.widthLimit`) and its simulation, and their judgement. `scales` are the cell's
    /// from its `SweepPlan`; `settings` carry the cell's own seed (`SweepPlan.cellSeed`).
    public static func compare(_ cell: ComparisonCell, scales: CellScales, settings s: SweepSettings,
                               progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> CellComparison
    {
        let architecture = try Architecture(inputSize: s.inputSize ?? cell.width, width: cell.width, depth: s.depth)
        let neuron = try NeuronModel(threshold: cell.theta, leak: cell.beta, reset: s.reset)
        let unset = try Network(architecture: architecture, neuron: neuron, steps: s.steps, input: s.input)
        let network: Network
        switch scales {
        case let .scheme(scheme, variances):
            network = try unset.initialized(.variances(variances, name: scheme.description),
                                            weightDistribution: s.weights ?? scheme.naturalDistribution)
        case let .targetRate(r):
            let solved = try InitializationSolver.solve(unset, target: .rate(r),
                                                        horizon: s.steps == 1 ? .firstStep : .timeAveraged,
                                                        settings: s.meanField)
            network = try unset.initialized(.variances(solved.weightVariances, name: cell.scheme),
                                            weightDistribution: s.weights)
        }
        let predicted = try VarianceRecursion.firstStep(network)
        let temporal = s.steps > 1 ? try TemporalKernel.propagate(network, settings: s.meanField).layers : nil
        // The exact chain covers layers up to FiniteWidthChain.widthLimit; wider cells compare with the mean field only.
        let chain = (architecture.widths.max() ?? 0) <= FiniteWidthChain.widthLimit
            ? try FiniteWidthChain(network).layers() : nil
        let configuration = try SimulationConfiguration(
            network: network, batch: s.batch, networks: s.networks, seed: s.seed, threads: s.threads,
            // The reduced sampler builds no weight matrix; its need is weighed with the plan (`largestCellBytes`).
            memoryLimit: s.method == .reduced ? .max : nil)
        let empirical = s.method == .reduced
            ? ReducedSampler.run(configuration, progress: progress)
            : Simulator.run(configuration, progress: progress)
        let layers = (0..<s.depth).map { i in
            let p = predicted[i], e = empirical.layers[i], first = e.steps[0]
            let averaged = temporal.map { temporal in
                let estimate = empirical.timeAveragedRate(layer: i + 1)
                // The standard deviation across networks: the standard error times sqrt(R).
                let spread = estimate.standardError.map { $0 * Double(empirical.configuration.networks).squareRoot() }
                return TimeAveragedComparison(
                    predictedRate: temporal[i].timeAveragedRate, predictedRateError: temporal[i].timeAveragedRateError,
                    empiricalRate: estimate.mean, empiricalRateError: estimate.standardError, empiricalSpread: spread)
            }
            return LayerComparison(
                layer: i + 1, predictedVariance: p.membraneVariance, predictedRate: p.rate,
                finiteWidthRate: chain?[i].meanRate, finiteWidthSilentProbability: chain?[i].silentProbability,
                empiricalVariance: first.membraneVariance.mean, empiricalVarianceError: first.membraneVariance.standardError,
                empiricalRate: first.rate.mean, empiricalRateError: first.rate.standardError,
                empiricalSilentFraction: e.silentFraction, empiricalSilentFractionError: e.silentFractionStandardError,
                fixedPointSlope: p.fixedPointSlope, timeAveraged: averaged)
        }
        let (depth, verdict) = judge(layers, cell: cell, tolerance: s.tolerance)
        let drift = driftStart(layers, tolerance: s.tolerance)
        return CellComparison(cell: cell, layers: layers, holdsToDepth: depth, driftsFromLayer: drift,
                              verdict: verdict + driftSummary(layers, steps: s.steps, holdsToDepth: depth,
                                                              driftsFromLayer: drift, tolerance: s.tolerance))
    }

    /// The first layer from which every layer's time-averaged rate is outside tolerance + 3 combined standard errors;
    /// nil when the last layer agrees or there is no time average (T = 1).
    public static func driftStart(_ layers: [LayerComparison], tolerance: Double) -> Int? {
        guard let last = layers.last?.timeAveraged, !last.agrees(tolerance: tolerance) else { return nil }
        let agreeing = layers.lastIndex { $0.timeAveraged?.agrees(tolerance: tolerance) ?? false }
        return (agreeing.map { layers[$0].layer } ?? 0) + 1
    }

    /// The verdict's second sentence when T > 1 (empty at T = 1): the time-averaged rate at the last layer, simulated
    /// against the multi-step mean field, where it leaves the theory for good, and whether that is a drift of the
    /// multi-step dynamics (the t = 1 comparison still holds there) or follows from the first step.
    static func driftSummary(_ layers: [LayerComparison], steps: Int, holdsToDepth: Int, driftsFromLayer: Int?,
                             tolerance: Double) -> String
    {
        guard let lastLayer = layers.last, let last = lastLayer.timeAveraged else { return "" }
        let g = { (x: Double) in String(format: "%.4g", x) }
        let spread = last.empiricalSpread.map { ", spread \(g($0)) across networks" } ?? ""
        let relative = last.relativeDeviation.map { String(format: ", %+.1f%%", 100 * $0) } ?? ""
        let error = last.empiricalRateError.map { " ± \(g($0))" } ?? ""
        let numbers = "simulated \(g(last.empiricalRate))\(error)\(spread), mean field "
            + "\(g(last.predictedRate)) ± \(g(last.predictedRateError))\(relative)"
        var text = ". Time-averaged rate over T = \(steps) steps at layer \(lastLayer.layer): \(numbers); "
        guard let start = driftsFromLayer else {
            let outside = layers.filter { !($0.timeAveraged?.agrees(tolerance: tolerance) ?? true) }.count
            return text + (outside == 0
                ? "the multi-step mean field holds to depth \(layers.count)"
                : "agrees at the last layer (\(outside) of \(layers.count) layers outside on the way)")
        }
        let direction = last.empiricalRate < last.predictedRate ? "below" : "above"
        text += "outside the multi-step mean field (" + String(format: "%g%%", tolerance * 100)
            + " + 3 combined standard errors) from layer \(start) on, \(direction) it"
        if holdsToDepth >= start {
            let span = holdsToDepth >= layers.count ? "to depth \(layers.count)" : "at layer \(start)"
            text += ": the t = 1 comparison holds \(span), so this is a finite-width drift of the multi-step dynamics"
        } else {
            text += ": the t = 1 comparison breaks first (at layer \(holdsToDepth + 1)), so the drift follows from the "
                + "first step"
        }
        return text
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
        let predicted = failure.finiteWidthSilentProbability.map { String(format: "; the exact chain predicts %.0f%%", 100 * $0) } ?? ""
        let silence = String(format: "%.0f%% of the networks silent by layer %d", 100 * silentEmpirical, y) + predicted
        // The reasons in order of how much width could help: not at all past an unstable fixed point or where the
        // mean field itself fades; only then is silence a matter of width.
        if let chi = failure.fixedPointSlope, chi > 1 {
            reason = String(format: "unstable fixed point (chi = %.3g > 1): threshold %g is too high for the target "
                + "variance, and deviations grow %.3gx per layer at any width", chi, cell.theta, chi)
                + (silentEmpirical > 0.01 || silentPredicted > 0.01 ? " (\(silence))" : "")
        } else if failure.predictedRate < 0.1 * layers[0].predictedRate {
            reason = String(format: "activity fades in the mean field itself (rate %.3g at layer %d against %.3g at "
                + "layer 1): the initialization, not the width", failure.predictedRate, y, layers[0].predictedRate)
                + (silentEmpirical > 0.01 || silentPredicted > 0.01 ? " (\(silence))" : "")
        } else if silentEmpirical > 0.01 || silentPredicted > 0.01 {
            reason = String(format: "networks go silent (%.0f%% of them by layer %d", 100 * silentEmpirical, y)
                + predicted + "): too narrow at width \(cell.width) for theta " + String(format: "%g", cell.theta)
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
