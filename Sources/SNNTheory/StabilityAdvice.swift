import Dispatch
import Foundation
import SNNModel
import SNNSupport

/// The paper's initialization at one target variance, judged at a depth and width (first time step).
public struct StabilityCheck: Sendable, Equatable {
    /// sigma_t^2.
    public let targetVariance: Double
    /// chi(theta / sigma_t), the slope of the variance map at the paper's fixed point.
    public let fixedPointSlope: Double
    /// Q(theta / sigma_t): the mean-field rate the initialization holds.
    public let meanFieldRate: Double
    /// sigma_w of layers 2...L: Var[w_l] = sigma_w^2 / n_{l-1}, sigma_w^2 = sigma_t^2 / Q(theta / sigma_t).
    public let weightScale: Double
    /// sigma_w of layer 1: Var[w_1] = sigma_w1^2 / n_0, sigma_w1^2 = sigma_t^2 / E[s_0^2].
    public let firstLayerWeightScale: Double
    /// P(layer L silent), exact chain.
    public let silentProbability: Double
    /// P(layer L above twice the mean-field rate), exact chain.
    public let saturatedProbability: Double
    public let threshold: Double

    public var thresholdOverSigma: Double { threshold / targetVariance.squareRoot() }
    public var isStable: Bool { fixedPointSlope < 1 }
    /// 1 / |ln chi| (nil for chi = 0 or 1, as `PhaseCell.depthScale`).
    public var depthScale: Double? {
        fixedPointSlope > 0 && fixedPointSlope != 1 ? 1 / abs(log(fixedPointSlope)) : nil
    }
}

/// What `StabilityAdvisor.advise` found.
public struct StabilityAdvice: Sendable {
    public let threshold: Double
    public let depth: Int
    public let width: Int
    public let input: InputEncoding
    /// The largest acceptable P(silent at layer L).
    public let tolerance: Double
    /// The recommendation keeps P(silent) at or below tolerance / margin.
    public let margin: Double
    /// (theta / x_c)^2: target variances above it have a stable fixed point (chi < 1).
    public let criticalTargetVariance: Double
    /// The paper's default, target variance 1.
    public let paperDefault: StabilityCheck
    public let targetRate: Double?
    /// The paper's initialization holding `targetRate` at the first step (target variance (theta / Qinv(rate))^2).
    public let atTargetRate: StabilityCheck?
    /// The smallest target variance with chi < 1 and P(silent) <= tolerance (to 0.1%); nil when none was found.
    public let boundary: StabilityCheck?
    /// The smallest target variance with two significant figures, chi < 1 and P(silent) <= tolerance / margin; nil when
    /// none was found.
    public let recommended: StabilityCheck?
    /// The largest target variance searched (theta / sigma_t = 0.1, mean-field rate 0.46): what "no scale" rests on.
    public let largestSearched: StabilityCheck

    /// Whether the target rate, if any, is held stably with P(silent) <= tolerance.
    public var targetRateHolds: Bool? {
        atTargetRate.map { $0.isStable && $0.silentProbability <= tolerance }
    }
}

/// Advice on the weight scale for depth (issue 7): for a threshold, depth and width, the smallest target variance of
/// the paper's initialization that keeps its fixed point stable (chi < 1) and the exact chain's P(silent at layer L)
/// under a tolerance; optionally whether a target rate can be held so.
///
/// A larger target variance lowers theta / sigma_t, hence chi, and raises the rate, so P(silent at L) falls as the
/// target variance grows; the search assumes this monotonicity (bisection in log sigma_t^2 over
/// [critical, (theta / 0.1)^2]) and checks the values it reports by evaluating them.
public enum StabilityAdvisor {
    /// theta / sigma_t at the largest target variance searched: mean-field rate Q(0.1) = 0.46.
    public static let smallestThresholdOverSigma = 0.1

    public static func advise(theta: Double, depth: Int, width: Int, input: InputEncoding, targetRate: Double? = nil,
                              tolerance: Double = 0.01, margin: Double = 10,
                              negligibleProbability: Double = PhaseDiagram.defaultNegligibleProbability) throws
        -> StabilityAdvice
    {
        guard margin >= 1, margin.isFinite else {
            throw ModelError.invalid(parameter: "margin", value: "\(margin)", allowed: "a finite number >= 1")
        }
        if let targetRate, !(targetRate > 0 && targetRate < 0.5) {
            throw ModelError.invalid(parameter: "target-rate", value: "\(targetRate)",
                                     allowed: "a number in (0, 0.5) (the first-step rate of a zero-mean potential)")
        }
        let diagram = try PhaseDiagram(axis: .targetVariance, depth: depth, width: width, input: input,
                                       tolerance: tolerance, negligibleProbability: negligibleProbability)
        _ = try NeuronModel(threshold: theta)
        func check(_ v: Double) throws -> StabilityCheck {
            let cell = try diagram.cell(theta: theta, scale: v)
            return StabilityCheck(targetVariance: v, fixedPointSlope: cell.fixedPointSlope,
                                  meanFieldRate: cell.meanFieldRate,
                                  weightScale: (v / cell.meanFieldRate).squareRoot(),
                                  firstLayerWeightScale: (v / input.secondMoment).squareRoot(),
                                  silentProbability: cell.silentProbability,
                                  saturatedProbability: cell.saturatedProbability, threshold: theta)
        }
        let critical = try DepthStability.criticalTargetVariance(theta: theta)
        let largest = try check(pow(theta / smallestThresholdOverSigma, 2))
        let lowest = critical * (1 + 1e-9)

        /// The smallest target variance in (critical, largest] with P(silent) <= level, to a relative 1e-3.
        func smallest(_ level: Double, from start: Double) throws -> StabilityCheck? {
            guard largest.silentProbability <= level else { return nil }
            let first = try check(start)
            if first.silentProbability <= level && first.isStable { return first }
            var lo = start, hi = largest.targetVariance, best = largest
            while hi / lo - 1 > 1e-3 {
                let mid = (lo * hi).squareRoot()
                let c = try check(mid)
                if c.silentProbability <= level && c.isStable { hi = mid; best = c } else { lo = mid }
            }
            return best
        }
        let boundary = try smallest(tolerance, from: lowest)
        var recommended: StabilityCheck?
        if let safe = try smallest(tolerance / margin, from: boundary?.targetVariance ?? lowest) {
            // Round up to two significant figures, a value to type; step up if the rounded value does not qualify.
            var v = roundedUp(safe.targetVariance)
            for _ in 0..<5 {
                let c = try check(v)
                if c.isStable && c.silentProbability <= tolerance / margin {
                    recommended = c
                    break
                }
                v = roundedUp(v * 1.0001)
            }
        }
        let atRate = try targetRate.map { r in try check(pow(theta / StandardNormal.inverseTail(r), 2)) }
        return StabilityAdvice(threshold: theta, depth: depth, width: width, input: input, tolerance: tolerance,
                               margin: margin, criticalTargetVariance: critical, paperDefault: try check(1),
                               targetRate: targetRate, atTargetRate: atRate, boundary: boundary,
                               recommended: recommended, largestSearched: largest)
    }

    /// The smallest number with two significant figures that is >= x.
    static func roundedUp(_ x: Double) -> Double {
        let unit = pow(10, floor(log10(x)) - 1)
        let steps = (x / unit * (1 - 1e-12)).rounded(.up)
        return steps * unit
    }
}

/// The slope of the multi-step kernel map at one layer, estimated numerically (finite differences, not a closed form).
public struct KernelMapSlope: Sendable, Equatable {
    /// The layer l measured (shallower than asked when the operating point had to be kept on an unstable fixed point).
    public let layer: Int
    public let steps: Int
    /// The growth factor per layer of a small deviation of the kernel K_{l-1} -> K_l = F(n Var[w_l] K_{l-1}): the
    /// largest eigenvalue (in modulus) of the map's linearization at K_{l-1}, by power iteration on central
    /// differences. Above 1 a deviation grows with depth. At T = 1, at the paper's fixed point, it is chi.
    public let value: Double
    /// Standard error from the spread across quasi-Monte Carlo replicates (0 for quadrature).
    public let statisticalError: Double
    /// The finite differences' own error: a third of the change from eps to 2 eps (the leading O(eps^2) term), plus the
    /// last power-iteration step's change, plus the quadrature's error bound.
    public let discretizationError: Double
    /// The size eps of the deviation: no entry K(t, t') moves by more than eps sqrt(K(t, t) K(t', t')).
    public let relativePerturbation: Double
    public let method: TemporalKernelMethod
    /// Layer l's time-averaged rate at the operating point.
    public let timeAveragedRate: Double

    /// Both errors combined in quadrature.
    public var error: Double {
        (statisticalError * statisticalError + discretizationError * discretizationError).squareRoot()
    }
}

/// The stability of the multi-step kernel map K_l = F(n Var[w_l] K_{l-1}) (THEORY.md section 4), estimated numerically.
///
/// The operating point K_{l-1} comes from `TemporalKernel.propagate` through layers 1...l-1. Then layer l's map is
/// linearized by finite differences: a deviation D that moves each rate K(t, t) by at most eps of itself, starting
/// as eps K_{l-1} (a variance deviation at every step), is mapped to (F(g (K + D)) - F(g (K - D))) / 2, rescaled to the
/// same size, and mapped again, 12 times (power iteration): the size ratio converges to the largest eigenvalue of the
/// linearization,
/// the per-layer growth of the most unstable deviation. (The time-averaged rate alone would hide an unstable step
/// under stable ones: at theta 2 and T = 2 its one-layer slope reads 0.43 while the first step's deviations grow 2.37x.)
/// F is evaluated by quadrature for T <= 2, and otherwise by randomized quasi-Monte Carlo with the same points
/// for every evaluation within a replicate (common random numbers), so the differences measure the deviation and not
/// the sampling noise; the spread of the replicates' estimates is the statistical error. With `heldRate` (the
/// first-step rate the initialization holds), the layer is the asked one or the first whose first-step rate has drifted
/// from `heldRate` by more than 1e-6 (relative), whichever comes first: where chi > 1 rounding carries the recursion
/// off the fixed point within a few dozen layers.
public enum KernelMapStability {
    /// Power-iteration steps.
    static let iterations = 12

    public static func slope(architecture: Architecture, neuron: NeuronModel, input: InputEncoding, steps: Int,
                             weightVariances: [Double], atLayer requested: Int, heldRate: Double? = nil,
                             settings: TemporalKernelSettings = TemporalKernelSettings(),
                             relativePerturbation eps: Double = 0.05) throws -> KernelMapSlope
    {
        precondition(requested >= 1 && requested <= architecture.depth && weightVariances.count == architecture.depth)
        precondition(eps > 0 && eps < 0.25 && steps >= 1)
        var l = requested
        var kernel = (0..<steps * steps).map { input.temporalKernel(t: $0 / steps, tPrime: $0 % steps) }
        if l > 1 {
            let before = try Architecture(widths: Array(architecture.widths[0..<l]))
            let operating = try TemporalKernel.propagate(architecture: before, neuron: neuron, input: input,
                                                         steps: steps,
                                                         weightVariances: Array(weightVariances[0..<(l - 1)]),
                                                         settings: settings)
            if let heldRate, let left = operating.layers.firstIndex(where: {
                abs($0.steps[0].rate - heldRate) > 1e-6 * heldRate
            }) {
                l = left + 1
            }
            if l > 1 { kernel = operating.layers[l - 2].kernel }
        }
        let gain = Double(architecture.fanIn(layer: l)) * weightVariances[l - 1]
        var method = settings.method
        if method == .automatic { method = steps <= 2 ? .quadrature : .quasiMonteCarlo }
        if method == .quadrature {
            guard steps <= 2 else { throw TemporalKernelError.quadratureNeedsAtMostTwoSteps(steps) }
            var bound = 0.0
            let evaluate = { (k: [Double]) throws -> [Double] in
                let sigma = k.map { gain * $0 }
                let m = steps == 1 ? TemporalKernel.oneStep(sigma[0], neuron) : try TemporalKernel.twoSteps(sigma, neuron)
                bound = max(bound, m.rateError.max() ?? 0)
                return m.kernel
            }
            let rate = timeAverage(try evaluate(kernel), steps)
            let floor = 1e-12 * (kernel.max() ?? 0)
            let (g1, previous) = try powerIteration(kernel, eps, floor: floor, evaluate)
            let (g2, _) = try powerIteration(kernel, 2 * eps, floor: floor, evaluate)
            let smallest = max((0..<steps).map { kernel[$0 * steps + $0] }.min() ?? 0, floor)
            let quadratureError = smallest > 0 ? bound / (eps * smallest) : 0
            return KernelMapSlope(layer: l, steps: steps, value: g1, statisticalError: 0,
                                  discretizationError: abs(g1 - g2) / 3 + abs(g1 - previous) + quadratureError,
                                  relativePerturbation: eps, method: .quadrature, timeAveragedRate: rate)
        }
        let n = settings.points, replicates = settings.replicates, operatingKernel = kernel
        let base = try GSL.quasiRandomPoints(count: n, dimension: steps)
        let results = SlotArray<(g1: Double, g2: Double, previous: Double, rate: Double)>(count: replicates)
        DispatchQueue.concurrentPerform(iterations: replicates) { r in
            // The replicate's random shift, one for all evaluations (common random numbers for the differences).
            let z = TemporalKernel.shiftedNormals(base, points: n, steps: steps,
                                                  seed: settings.seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(r + 1))
            let evaluate = { (k: [Double]) -> [Double] in
                TemporalKernel.monteCarloMoments(sigma: k.map { gain * $0 }, steps: steps, z: z, points: n,
                                                 neuron: neuron).kernel
            }
            let rate = timeAverage(evaluate(operatingKernel), steps)
            // A rate resolved by fewer than about 64 of the points is below what the replicate can see.
            let floor = 64 / Double(n)
            let (g1, previous) = powerIteration(operatingKernel, eps, floor: floor, evaluate)
            let (g2, _) = powerIteration(operatingKernel, 2 * eps, floor: floor, evaluate)
            results.set(r, (g1, g2, previous, rate))
        }
        let all = results.values()
        let count = Double(replicates)
        let g1 = all.map(\.g1).reduce(0, +) / count, g2 = all.map(\.g2).reduce(0, +) / count
        let previous = all.map(\.previous).reduce(0, +) / count
        let spread = all.map { ($0.g1 - g1) * ($0.g1 - g1) }.reduce(0, +) / (count - 1)
        return KernelMapSlope(layer: l, steps: steps, value: g1, statisticalError: (spread / count).squareRoot(),
                              discretizationError: abs(g1 - g2) / 3 + abs(g1 - previous), relativePerturbation: eps,
                              method: .quasiMonteCarlo, timeAveragedRate: all.map(\.rate).reduce(0, +) / count)
    }

    /// The growth factor of the last power-iteration step and of the one before (0 for a silent operating point).
    ///
    /// Deviations are measured entry by entry relative to the kernel's natural scale,
    /// ||D|| = max |D(t, t')| / sqrt(K(t, t) K(t', t')), so that a deviation of size eps moves no rate by more than eps of
    /// itself (a rare first step is not swamped by a deviation sized to the frequent later ones). Rates below `floor`
    /// (what the integration resolves) count as `floor`, so that their noise cannot dominate the norm. The growth factor
    /// does not depend on the norm once the iteration converges.
    static func powerIteration(_ kernel: [Double], _ eps: Double, floor: Double,
                               _ evaluate: ([Double]) throws -> [Double]) rethrows -> (last: Double, previous: Double)
    {
        let steps = Int(Double(kernel.count).squareRoot().rounded())
        guard (kernel.max() ?? 0) > 0 else { return (0, 0) }
        let rates = (0..<steps).map { max(kernel[$0 * steps + $0], floor) }
        let scale = (0..<kernel.count).map { (rates[$0 / steps] * rates[$0 % steps]).squareRoot() }
        func norm(_ d: [Double]) -> Double { zip(d, scale).reduce(0) { max($0, abs($1.0) / $1.1) } }
        var deviation = kernel.map { eps * $0 }
        var last = 0.0, previous = 0.0
        for _ in 0..<iterations {
            let plus = try evaluate(zip(kernel, deviation).map { $0 + $1 })
            let minus = try evaluate(zip(kernel, deviation).map { $0 - $1 })
            let image = zip(plus, minus).map { 0.5 * ($0 - $1) }
            let size = norm(image)
            previous = last
            last = size / eps
            guard size > 0 else { return (0, previous) }
            deviation = image.map { $0 * eps / size }
        }
        return (last, previous)
    }

    static func timeAverage(_ k: [Double], _ steps: Int) -> Double {
        (0..<steps).reduce(0) { $0 + k[$1 * steps + $1] } / Double(steps)
    }
}
