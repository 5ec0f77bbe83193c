import Dispatch
import Foundation
import SNNModel
import SNNSupport

// Depth stability of the first time step (THEORY.md section 3, "Stability of the fixed point", and section 5).
//
// Mean field. With the paper's initialization at target variance sigma_t^2, every layer l >= 2 maps the membrane
// variance v of the layer before to g Q(theta / sqrt v), g = sigma_t^2 / Q(x), x = theta / sigma_t, and holds
// v = sigma_t^2. The slope of that map there is chi(x) = x phi(x) / (2 Q(x)): chi < 1 while x < x_c = 1.19060, where the
// fixed point attracts; above, any deviation grows by chi per layer toward silence or toward the map's other, stable
// fixed point at a higher rate. A fixed weight scale, Var[w_l] = sigma_w^2 / n_{l-1}, has g = sigma_w^2: the map's
// non-zero fixed points solve g = theta^2 / (x^2 Q(x)), whose right side is smallest at x = x_c, so for
// sigma_w < theta / (x_c sqrt Q(x_c)) = 2.457 theta no non-zero fixed point exists and activity vanishes with depth,
// and above it the larger-variance fixed point attracts (chi < 1) and the other repels: the same critical line
// chi = 1, seen from the weight scale.
//
// Finite width. What the instability does to real networks is read off the exact chain of section 5
// (`FiniteWidthChain`): the probability that layer L is silent, and that it runs at more than twice the
// mean-field rate (saturated). Both are exact for Gaussian weights at the first time step, up to the chain's
// truncation (`negligibleProbability`).

/// What networks look like at a given depth and width, across weight draws and inputs (first time step), judged by the
/// exact chain with a tolerance: `held` when fewer than `tolerance` of them are silent and fewer than `tolerance` run at
/// more than twice the mean-field rate; `vanishes` or `saturates` when only one of the two reaches the tolerance;
/// `bistable` when both do, the signature of an unstable fixed point (chi > 1).
public enum StabilityPhase: String, Sendable, CaseIterable {
    case held
    case vanishes
    case saturates
    case bistable

    public init(silentProbability: Double, saturatedProbability: Double, tolerance: Double) {
        switch (silentProbability >= tolerance, saturatedProbability >= tolerance) {
        case (false, false): self = .held
        case (true, false): self = .vanishes
        case (false, true): self = .saturates
        case (true, true): self = .bistable
        }
    }
}

/// What the second coordinate of a phase diagram means.
public enum PhaseAxis: String, Sendable, CaseIterable {
    /// The paper's initialization aiming at this membrane variance sigma_t^2 (`WeightVariance.forScheme(.paper, ...)`).
    case targetVariance = "target-variance"
    /// A fixed weight scale sigma_w at every layer: Var[w_l] = sigma_w^2 / n_{l-1} (`InitScheme.sigmaW`).
    case weightScale = "weight-scale"
}

/// One cell of the phase diagram: a threshold and a target variance (or weight scale), first time step.
public struct PhaseCell: Sendable, Equatable {
    public let theta: Double
    /// sigma_t^2 or sigma_w, as the diagram's axis says.
    public let scale: Double
    /// chi, the slope of the variance map at the operating point: at the paper's fixed point for a target variance,
    /// at the mean-field state of the last layer for a weight scale (0 once that state has collapsed).
    public let fixedPointSlope: Double
    /// The mean-field (infinite-width) rate of the last layer.
    public let meanFieldRate: Double
    /// P(the last layer is silent), exact chain.
    public let silentProbability: Double
    /// P(the last layer's rate > 2 x meanFieldRate), exact chain (the probability of any activity once the mean-field
    /// rate has underflowed to 0).
    public let saturatedProbability: Double
    public let phase: StabilityPhase

    /// 1 / |ln chi|: layers over which a deviation changes by a factor e (nil for chi = 0 or 1).
    public var depthScale: Double? {
        fixedPointSlope > 0 && fixedPointSlope != 1 ? 1 / abs(log(fixedPointSlope)) : nil
    }

    /// chi < 1: the operating point attracts.
    public var isStable: Bool { fixedPointSlope < 1 }
}

/// The phase diagram over threshold x target variance (paper's initialization) or threshold x weight scale, at the
/// first time step: chi from the mean field, P(silent) and P(saturated) at `depth` and `width` from the exact chain.
/// Every layer has `width` neurons, and so has the input.
public struct PhaseDiagram: Sendable {
    public let axis: PhaseAxis
    public let depth: Int
    public let width: Int
    public let input: InputEncoding
    /// The probability of a silent (or saturated) last layer from which a cell counts as vanishing (saturating).
    public let tolerance: Double
    /// The chain's truncation (`FiniteWidthChain.negligibleProbability`).
    public let negligibleProbability: Double

    /// The chain's terms below 1e-20 are dropped: at most about 100 n 1e-20 of probability per layer. Over a 50 x 50
    /// grid at width 1000 and depth 100 every probability agrees with the chain's default of 1e-300 to 2e-15, at a fifth
    /// of the cost (1e-12 would save a further 20% and cost 1e-7).
    public static let defaultNegligibleProbability = 1e-20

    public init(axis: PhaseAxis = .targetVariance, depth: Int, width: Int, input: InputEncoding,
                tolerance: Double = 0.01, negligibleProbability: Double = PhaseDiagram.defaultNegligibleProbability)
        throws
    {
        guard depth >= 2, depth <= 10_000 else {
            throw ModelError.invalid(parameter: "depth", value: "\(depth)", allowed: "an integer from 2 to 10000")
        }
        guard width >= 1, width <= FiniteWidthChain.widthLimit else {
            throw ModelError.invalid(parameter: "width", value: "\(width)",
                                     allowed: "an integer from 1 to \(FiniteWidthChain.widthLimit)")
        }
        guard tolerance > 0, tolerance < 1 else {
            throw ModelError.invalid(parameter: "tolerance", value: "\(tolerance)", allowed: "a number in (0, 1)")
        }
        try FiniteWidthChain.checkNegligibleProbability(negligibleProbability)
        self.axis = axis
        self.depth = depth
        self.width = width
        self.input = input
        self.tolerance = tolerance
        self.negligibleProbability = negligibleProbability
    }

    /// Refuses a grid with a threshold outside `NeuronModel.thresholdRange`, a target variance outside the paper's
    /// range or one whose paper scales are not finite at `width` and some threshold (Q(theta / sigma_t) underflows
    /// to 0 past about 38.5), or a weight scale outside `InitScheme.weightScaleRange`; named as the grid options
    /// `thetas`, `target-variances` and `weight-scales`.
    public static func checkGrid(axis: PhaseAxis, thetas: [Double], scales: [Double], width: Int,
                                 input: InputEncoding) throws
    {
        for theta in thetas where !NeuronModel.thresholdRange.contains(theta) {
            throw ModelError.invalid(parameter: "thetas", value: "\(theta)", allowed: "thresholds in [1e-6, 1e6]")
        }
        switch axis {
        case .targetVariance:
            for v in scales { _ = try InitScheme.checkedTargetVariance(v, parameter: "target-variances") }
            let architecture = try Architecture(inputSize: width, width: width, depth: 2)
            for theta in thetas {
                for v in scales {
                    _ = try WeightVariance.checked(.paper, architecture: architecture, neuron: NeuronModel(threshold: theta),
                                                   input: input, targetVariance: v)
                }
            }
        case .weightScale:
            for s in scales where !InitScheme.weightScaleRange.contains(s) {
                throw ModelError.invalid(parameter: "weight-scales", value: "\(s)", allowed: "scales in [1e-6, 1e6]")
            }
        }
    }

    public var architecture: Architecture {
        get throws { try Architecture(inputSize: width, width: width, depth: depth) }
    }

    /// Var[w_l] for every layer of the cell (theta, scale).
    public func weightVariances(theta: Double, scale: Double) throws -> [Double] {
        let neuron = try NeuronModel(threshold: theta)
        switch axis {
        case .targetVariance:
            return WeightVariance.forScheme(.paper, architecture: try architecture, neuron: neuron, input: input,
                                            targetVariance: scale)
        case .weightScale:
            return WeightVariance.forScheme(.sigmaW(scale), architecture: try architecture, neuron: neuron,
                                            input: input)
        }
    }

    public func cell(theta: Double, scale: Double) throws -> PhaseCell {
        guard scale.isFinite, scale > 0 else {
            throw ModelError.invalid(parameter: axis.rawValue, value: "\(scale)", allowed: "a finite number > 0")
        }
        let neuron = try NeuronModel(threshold: theta)
        let architecture = try architecture
        let variances = try weightVariances(theta: theta, scale: scale)
        let chi: Double, rate: Double
        switch axis {
        case .targetVariance:
            // The paper's fixed point itself. The recursion in floating point would leave it where chi > 1: rounding
            // grows by chi per layer (by 1e16 over 100 layers at theta / sigma_t = 2.1), which is the instability
            // this diagram is about, not the mean field's prediction.
            let x = theta / scale.squareRoot()
            chi = VarianceRecursion.fixedPointSlope(thresholdOverSigma: x)
            rate = StandardNormal.tail(x)
        case .weightScale:
            let meanField = VarianceRecursion.firstStep(architecture: architecture, neuron: neuron, input: input,
                                                        weightVariances: variances)
            chi = meanField[depth - 1].fixedPointSlope ?? 0
            rate = meanField[depth - 1].rate
        }
        let chain = try FiniteWidthChain(architecture: architecture, neuron: neuron, input: input,
                                         weightVariances: variances, negligibleProbability: negligibleProbability)
        let (silent, saturated) = try chain.silentAndAbove(rate: 2 * rate, atLayer: depth)
        return PhaseCell(theta: theta, scale: scale, fixedPointSlope: chi, meanFieldRate: rate,
                         silentProbability: silent, saturatedProbability: saturated,
                         phase: StabilityPhase(silentProbability: silent, saturatedProbability: saturated,
                                               tolerance: tolerance))
    }

    /// Every cell of the grid, scale-major: `result[s * thetas.count + t]` is (thetas[t], scales[s]).
    ///
    /// Cells run concurrently (as many as Dispatch offers), each into its own slot; every cell is a deterministic
    /// function of its coordinates, so the result does not depend on the number of threads.
    public func cells(thetas: [Double], scales: [Double],
                      progress: (@Sendable (_ finished: Int, _ total: Int) -> Void)? = nil) throws -> [PhaseCell]
    {
        let total = thetas.count * scales.count
        let slots = SlotArray<Result<PhaseCell, any Error>>(count: total)
        DispatchQueue.concurrentPerform(iterations: total) { i in
            let result = Result { try cell(theta: thetas[i % thetas.count], scale: scales[i / thetas.count]) }
            let finished = slots.set(i, result)
            progress?(finished, total)
        }
        return try slots.successes()
    }

    /// The numerical slope of the multi-step kernel map at the last layer for the cell (theta, scale)
    /// (`KernelMapStability.slope`), for a neuron with this leak and reset over `steps` time steps.
    public func kernelMapSlope(theta: Double, scale: Double, leak: Double, reset: Reset, steps: Int,
                               settings: TemporalKernelSettings = TemporalKernelSettings()) throws -> KernelMapSlope
    {
        try KernelMapStability.slope(architecture: architecture,
                                     neuron: NeuronModel(threshold: theta, leak: leak, reset: reset), input: input,
                                     steps: steps, weightVariances: weightVariances(theta: theta, scale: scale),
                                     atLayer: depth,
                                     heldRate: axis == .targetVariance ? StandardNormal.tail(theta / scale.squareRoot()) : nil,
                                     settings: settings)
    }

    /// `kernelMapSlope` for every cell of the grid, in the order of `cells(thetas:scales:)`, concurrently.
    public func kernelMapSlopes(thetas: [Double], scales: [Double], leak: Double, reset: Reset, steps: Int,
                                settings: TemporalKernelSettings = TemporalKernelSettings(),
                                progress: (@Sendable (_ finished: Int, _ total: Int) -> Void)? = nil) throws
        -> [KernelMapSlope]
    {
        let total = thetas.count * scales.count
        let slots = SlotArray<Result<KernelMapSlope, any Error>>(count: total)
        DispatchQueue.concurrentPerform(iterations: total) { i in
            let result = Result {
                try kernelMapSlope(theta: thetas[i % thetas.count], scale: scales[i / thetas.count], leak: leak,
                                   reset: reset, steps: steps, settings: settings)
            }
            let finished = slots.set(i, result)
            progress?(finished, total)
        }
        return try slots.successes()
    }

    /// The critical line chi = 1 as a function of the threshold: sigma_t^2 = (theta / x_c)^2 for a target variance
    /// (larger is stable), sigma_w = theta / (x_c sqrt Q(x_c)) for a weight scale (smaller has no non-zero fixed point).
    public func criticalScale(theta: Double) throws -> Double {
        switch axis {
        case .targetVariance: return try DepthStability.criticalTargetVariance(theta: theta)
        case .weightScale: return try DepthStability.criticalWeightScale(theta: theta)
        }
    }
}

/// Closed forms of the stability boundary (see the comment at the top of this file).
public enum DepthStability {
    /// sigma_t^2 = (theta / x_c)^2, x_c = 1.19060...: the paper's fixed point is stable for larger target variances.
    public static func criticalTargetVariance(theta: Double) throws -> Double {
        let x = try VarianceRecursion.criticalThresholdOverSigma()
        return (theta / x) * (theta / x)
    }

    /// sigma_w = theta / (x_c sqrt Q(x_c)) = 2.457 theta: the smallest fixed weight scale with a non-zero fixed point
    /// (where its stable and unstable fixed points merge, chi = 1).
    public static func criticalWeightScale(theta: Double) throws -> Double {
        let x = try VarianceRecursion.criticalThresholdOverSigma()
        return theta / (x * StandardNormal.tail(x).squareRoot())
    }
}

extension FiniteWidthChain {
    /// The change in total variation between successive normalized laws of the active counts below which the chain is
    /// taken as quasi-stationary.
    static let stationarity = 1e-11

    /// P(k_layer = 0) and P(k_layer / n_layer > `rate`): the silent and the saturated probability of `distribution`,
    /// computed faster where the chain settles.
    ///
    /// Once the law of the active counts, normalized, changes by less than 1e-11 in total variation from one layer to
    /// the next, and every later layer has the same width and weight variance, the chain is quasi-stationary: each
    /// further layer keeps the same shape and sends the same fraction 1 - lambda of the active mass A to silence. Then
    /// P(silent at L) = P(silent at l) + A_l (1 - lambda^(L - l)) and P(rate > r at L) = lambda^(L - l) P(rate > r at l),
    /// exact up to the shape's remaining change: below about (L - l) 1e-11. Stable cells settle within a few dozen
    /// layers (their shape converges like chi^l), so a 100-layer chain usually costs 20 to 60 steps; cells near chi = 1
    /// never settle and run every layer.
    func silentAndAbove(rate: Double, atLayer last: Int) throws -> (silent: Double, above: Double) {
        precondition(last >= 1 && last <= architecture.depth, "a layer in 1...depth")
        var law = try distribution(atLayer: 1)
        var previousShape: [Double]?, previousMass = 0.0, previousSilent = 0.0
        var l = 1
        while true {
            let mass = law.probabilities[1...].reduce(0, +)
            if l == last || mass == 0 {
                return (law.silentProbability, law.probability(rateAbove: rate))
            }
            let shape = law.probabilities.dropFirst().map { $0 / mass }
            if let previousShape, previousShape.count == shape.count, previousMass > 0,
               Self.totalVariation(shape, previousShape) < Self.stationarity, isUniform(from: l)
            {
                // The survival comes from the flow into k = 0 alone: the truncation also removes a little mass each
                // layer (about 100 n negligibleProbability), which is not silence.
                let hazard = (law.silentProbability - previousSilent) / previousMass
                let logSurvival = log1p(-hazard), remaining = Double(last - l)
                return (law.silentProbability - mass * expm1(remaining * logSurvival),
                        exp(remaining * logSurvival) * law.probability(rateAbove: rate))
            }
            previousShape = shape
            previousMass = mass
            previousSilent = law.silentProbability
            l += 1
            law = FiniteWidthChain.step(from: law, weightVariance: weightVariances[l - 1], threshold: neuron.threshold,
                                        toWidth: architecture.width(layer: l), negligible: negligibleProbability)
        }
    }

    /// Whether layers l...depth all have the width and weight variance of layer l (and fan-in = width after it).
    private func isUniform(from l: Int) -> Bool {
        let w = architecture.width(layer: l), v = weightVariances[l - 1]
        return (l...architecture.depth).allSatisfy { architecture.width(layer: $0) == w && weightVariances[$0 - 1] == v }
    }

    static func totalVariation(_ a: [Double], _ b: [Double]) -> Double {
        var sum = 0.0
        for i in a.indices { sum += abs(a[i] - b[i]) }
        return 0.5 * sum
    }
}
