import Foundation
import SNNModel
import SNNSimulator
import SNNTheory

/// One quantity of one layer, predicted against simulated: a variance relative to the last layer's.
public struct GradientRatioComparison: Sendable, Equatable, Codable {
    /// The wide-layer mean field (THEORY.md section 10) and its quasi-Monte Carlo error (0 when exact).
    public let predicted: Double
    public let predictedError: Double
    /// The first step's finite-width correction (section 10), when it applies (T = 1, Bernoulli input).
    public let finiteWidth: Double?
    /// The simulator's ratio of means over networks and its delta-method standard error.
    public let empirical: Double
    public let empiricalError: Double?

    /// (empirical - prediction) / sqrt(SE^2 + prediction error^2); nil without a standard error.
    public static func deviation(_ empirical: Double, _ error: Double?, _ prediction: Double, _ predictionError: Double)
        -> Double?
    {
        guard let error else { return nil }
        let combined = (error * error + predictionError * predictionError).squareRoot()
        guard combined > 0 else { return empirical == prediction ? 0 : nil }
        return (empirical - prediction) / combined
    }

    /// The deviation from the wide-layer prediction, in combined standard errors.
    public var deviation: Double? { Self.deviation(empirical, empiricalError, predicted, predictedError) }

    /// The deviation from the finite-width prediction, in standard errors (nil where there is none).
    public var finiteWidthDeviation: Double? {
        finiteWidth.flatMap { Self.deviation(empirical, empiricalError, $0, 0) }
    }

    /// The prediction a verdict judges: the finite-width one where it exists, else the wide-layer one.
    public var best: (value: Double, deviation: Double?) {
        if let f = finiteWidth { return (f, finiteWidthDeviation) }
        return (predicted, deviation)
    }
}

/// Layer l of a gradient comparison.
public struct GradientLayerComparison: Sendable, Equatable, Codable {
    public let layer: Int
    /// Var[delta_l] pooled over the steps, relative to the last layer's.
    public let membraneVariance: GradientRatioComparison
    /// The variance of an entry of one item's weight gradient dL_b/dW_l, relative to the last layer's (the theory
    /// predicts the per-item one; the batch-summed one carries cross-item terms, see THEORY.md section 10).
    public let weightVariance: GradientRatioComparison
    /// The predicted backward gain chi_l of the layer.
    public let chi: Double
    /// The simulated Var[delta_l] pooled over the steps, absolute (mean over networks): below
    /// `GradientComparison.float32Floor` the Float32 error signal has left the normal range.
    public let simulatedMembraneVariance: Double
}

/// The result of one cell: its layers and the judgement.
public struct GradientCellComparison: Sendable, Equatable, Codable {
    public let cell: ComparisonCell
    public let steps: Int
    public let surrogate: String
    public let resetGradient: String
    public let networks: Int
    public let layers: [GradientLayerComparison]
    /// Layers whose pooled Var[delta] ratio is within `GradientComparison.agreement` standard errors of the judged
    /// prediction (the last layer, 1 by definition, is not counted).
    public let agreeing: Int
    /// The same for the wide-layer prediction alone.
    public let agreeingWideLimit: Int
    public let verdict: String

    /// The largest |deviation| of the pooled Var[delta] ratio from the judged prediction, in standard errors.
    public var worstDeviation: Double {
        layers.dropLast().compactMap { $0.membraneVariance.best.deviation }.map(abs).max() ?? 0
    }
}

/// `compare --gradients`: the backward mean field against the simulator's backward pass, cell by cell.
public enum GradientComparison {
    /// A layer agrees when its pooled gradient-variance ratio is within this many standard errors of the prediction.
    public static let agreement = 4.0

    /// The square of Float32's smallest normal number (1.18e-38): a layer whose simulated Var[delta] lies below it
    /// holds error signals that Float32 rounds to subnormals or flushes to 0, so its statistics measure the number
    /// format, not the network.
    public static let float32Floor = Double(Float.leastNormalMagnitude) * Double(Float.leastNormalMagnitude)

    /// The cell's network (as `Comparison.compare` builds it; fixed schemes only), its backward mean field (and the
    /// first step's finite-width correction where it applies), and a simulation of its forward and backward passes
    /// with `settings`' batch, networks and seed, judged layer by layer.
    public static func compare(_ cell: ComparisonCell, scales: CellScales, settings s: SweepSettings,
                               surrogate: Surrogate, resetGradient: ResetGradient,
                               progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> GradientCellComparison
    {
        guard case let .scheme(scheme, variances) = scales else {
            throw ModelError.invalid(parameter: "inits", value: cell.scheme,
                                     allowed: "a fixed initialization with --gradients (\(InitScheme.allowedNames))")
        }
        let architecture = try Architecture(inputSize: s.inputSize ?? cell.width, width: cell.width, depth: s.depth)
        let neuron = try NeuronModel(threshold: cell.theta, leak: cell.beta, reset: s.reset)
        let network = try Network(architecture: architecture, neuron: neuron, steps: s.steps, input: s.input)
            .initialized(.variances(variances, name: scheme.description),
                         weightDistribution: s.weights ?? scheme.naturalDistribution)
        let prediction = try GradientRecursion.propagate(network, surrogate: surrogate, resetGradient: resetGradient,
                                                         settings: s.meanField)
        var finite: FiniteWidthGradient?
        if s.steps == 1, case .bernoulli = s.input {
            finite = try GradientRecursion.finiteWidthFirstStep(network, surrogate: surrogate)
        }
        let configuration = try GradientConfiguration(
            simulation: SimulationConfiguration(network: network, batch: s.batch, networks: s.networks, seed: s.seed,
                                                threads: s.threads),
            surrogate: surrogate, resetGradient: resetGradient)
        let run = Simulator.run(configuration, progress: progress)
        let depth = s.depth
        let layers = (0..<depth).map { i -> GradientLayerComparison in
            let p = prediction.layers[i], e = run.gradients.layers[i]
            let delta = e.deltaVariancePooledRelative, item = e.itemGradientVarianceRelative
            return GradientLayerComparison(
                layer: i + 1,
                membraneVariance: GradientRatioComparison(
                    predicted: p.pooledMembraneVariance, predictedError: p.pooledMembraneVarianceError,
                    finiteWidth: finite.map { exp($0.logMembraneVariance[i] - $0.logMembraneVariance[depth - 1]) },
                    empirical: delta?.mean ?? .nan, empiricalError: delta?.standardError),
                weightVariance: GradientRatioComparison(
                    predicted: p.weightVariance, predictedError: p.weightVarianceError,
                    finiteWidth: finite.map { exp($0.logWeightVariance[i] - $0.logWeightVariance[depth - 1]) },
                    empirical: item?.mean ?? .nan, empiricalError: item?.standardError),
                chi: p.chi, simulatedMembraneVariance: e.deltaVariancePooled.mean)
        }
        return judge(cell, steps: s.steps, surrogate: surrogate, resetGradient: resetGradient, networks: s.networks,
                     layers: layers)
    }

    /// Counts the agreeing layers and words the verdict: how far the gradient variance falls or grows from layer L to
    /// layer 1 (simulated), whether the theory follows it at every layer, and, where it does not, the first layer
    /// outside and the assumption that layer points to.
    public static func judge(_ cell: ComparisonCell, steps: Int, surrogate: Surrogate, resetGradient: ResetGradient,
                             networks: Int, layers: [GradientLayerComparison]) -> GradientCellComparison
    {
        // Layers whose simulated Float32 error signals left the normal range (subnormal or flushed to 0): the
        // number format's limit, not a disagreement; left out of the counts.
        func underflowed(_ l: GradientLayerComparison) -> Bool { l.simulatedMembraneVariance < float32Floor }
        let underflow = layers.dropLast().filter(underflowed).map(\.layer)
        let inner = layers.dropLast().filter { !underflowed($0) }
        func agrees(_ d: Double?) -> Bool { d.map { abs($0) <= agreement } ?? false }
        let agreeing = inner.filter { agrees($0.membraneVariance.best.deviation) }.count
        let agreeingWide = inner.filter { agrees($0.membraneVariance.deviation) }.count
        let corrected = layers.first?.membraneVariance.finiteWidth != nil
        let depth = layers.count
        var words: [String] = []
        if let first = layers.first, first.membraneVariance.empirical > 0 {
            let k = log10(first.membraneVariance.empirical)
            let direction = abs(k) < 1 ? "held within a factor 10" : k < 0 ? "vanish" : "explode"
            words.append(abs(k) < 1
                ? String(format: "simulated gradients %@ from layer %d to 1 (Var[delta_1] / Var[delta_%d] = %.3g)",
                         direction, depth, depth, first.membraneVariance.empirical)
                : String(format: "simulated gradients %@ by 10^%.1f from layer %d to 1", direction, abs(k), depth))
        } else if let top = underflow.last, let lowest = layers.first(where: { $0.layer > top }) {
            let predicted = layers[0].membraneVariance.best.value
            words.append(String(format: "simulated gradients vanish by more than 10^%.1f from layer %d to %d, then "
                                    + "leave Float32's normal range at layers 1-%d (predicted 10^%.0f at layer 1)",
                                abs(log10(lowest.membraneVariance.empirical)), depth, lowest.layer, top,
                                log10(predicted)))
        }
        if !underflow.isEmpty && layers.first.map({ $0.membraneVariance.empirical > 0 }) == true {
            words.append("Float32 error signals below its normal range at \(underflow.count) layers (not compared)")
        }
        let which = corrected ? "the finite-width theory" : "the mean field"
        if inner.isEmpty {
            words.append(underflow.isEmpty ? "one layer: nothing to compare" : "no layer left to compare")
        } else if agreeing == inner.count {
            var text = "\(which) holds at every layer (within \(Int(agreement)) standard errors; worst "
                + String(format: "%.1f", inner.compactMap { $0.membraneVariance.best.deviation }.map(abs).max() ?? 0)
                + ")"
            if corrected && agreeingWide < inner.count {
                text += "; the wide-layer limit alone misses \(inner.count - agreeingWide) of \(inner.count) layers"
            }
            if !underflow.isEmpty { text += " above the underflow" }
            words.append(text)
        } else {
            let off = inner.first { !agrees($0.membraneVariance.best.deviation) }!
            let d = off.membraneVariance.best.deviation.map { String(format: "%+.1f standard errors", $0) }
                ?? "no standard error"
            var text = "\(which) holds at \(agreeing) of \(inner.count) layers; first outside: layer \(off.layer) "
                + "(\(d))"
            text += steps > 1
                ? "; over several steps the recursion treats the backward weights as independent of the forward ones "
                    + "(B1) and has no finite-width correction"
                : corrected ? "; the correction keeps the backward weights independent of the forward ones (B1)"
                    : "; at finite width each layer's gain falls short of the wide-layer chi (THEORY.md section 10)"
            words.append(text)
        }
        return GradientCellComparison(cell: cell, steps: steps, surrogate: surrogate.description,
                                      resetGradient: resetGradient.rawValue, networks: networks, layers: layers,
                                      agreeing: agreeing, agreeingWideLimit: agreeingWide,
                                      verdict: words.joined(separator: "; "))
    }
}
