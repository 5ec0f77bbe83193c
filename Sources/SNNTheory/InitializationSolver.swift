import Dispatch
import Foundation
import SNNModel
import SNNSupport

/// What the solver holds fixed at every layer.
public enum SolverTarget: Sendable, Equatable {
    /// A spike rate in (0, 1).
    case rate(Double)
    /// A membrane-potential variance > 0.
    case membraneVariance(Double)
}

public struct SolvedInitialization: Sendable {
    /// Var[w_l] per layer (index 0 = layer 1).
    public let weightVariances: [Double]
    /// The targeted quantity at each layer, evaluated on the solver's own integration rule.
    public let achieved: [Double]
}

public enum SolverError: Error, CustomStringConvertible, Equatable {
    case unreachable(layer: Int, detail: String)
    case invalidTarget(String)

    public var description: String {
        switch self {
        case let .unreachable(layer, detail): "target-rate: no weight scale reaches the target at layer \(layer): \(detail)"
        case let .invalidTarget(detail): detail
        }
    }
}

/// A per-layer weight scale that holds a target rate or membrane variance at every layer of the actual network,
/// not only for an idealised input: layer by layer, the gain g_l = n_{l-1} Var[w_l] is the root of
/// stat(F(g K_{l-1})) = target on the multi-step mean-field theory (`TemporalKernel`), found by GSL's Brent solver
/// after bracketing. For T >= 3 the integral uses fixed randomized quasi-Monte Carlo rules for every evaluation, so
/// the function is deterministic (common random numbers); for T <= 2 it is the quadrature.
///
/// Why an average over rules, at a shared kernel, with fresh shifts per layer: deep in a network with many time steps
/// the kernel map has a nearly neutral temporal direction, so estimation noise accumulates over layers and shifts the
/// rate (measured: one 4096-point rule reused at every layer held 0.1 on its own estimate while an independent
/// evaluation read 0.092-0.100 at layers 20-50, beta 0.5, T 20). Solving on the mean of R rules at the kernel they
/// share is solving for the same estimator that `propagate` reports, with the noise of R x N points.
public enum InitializationSolver {
    /// Scales for the network's layers, steps, neuron and input (its own initialization is what is replaced).
    public static func solve(_ network: Network, target: SolverTarget, horizon: SolverHorizon,
                             settings: TemporalKernelSettings = TemporalKernelSettings()) throws
        -> SolvedInitialization
    {
        try solve(architecture: network.architecture, neuron: network.neuron, input: network.input,
                  steps: network.steps, target: target, horizon: horizon, settings: settings)
    }

    static func solve(architecture: Architecture, neuron: NeuronModel, input: InputEncoding, steps: Int,
                      target: SolverTarget, horizon: SolverHorizon,
                      settings: TemporalKernelSettings = TemporalKernelSettings()) throws
        -> SolvedInitialization
    {
        switch target {
        case let .rate(r) where !(r > 0 && r < 1):
            throw SolverError.invalidTarget("target-rate: '\(r)' is not allowed; expected a number in (0, 1)")
        case let .membraneVariance(v) where !(v > 0 && v.isFinite):
            throw SolverError.invalidTarget("target-variance: '\(v)' is not allowed; expected a finite number > 0")
        default: break
        }
        if horizon == .firstStep || steps == 1 {
            if case let .rate(r) = target, r >= 0.5 {
                throw SolverError.invalidTarget("target-rate: '\(r)' is not reachable at the first step, where the "
                    + "rate Q(theta / sigma) of a zero-mean potential stays below 0.5; expected a number in (0, 0.5) "
                    + "there, or --steps above 1 with --solve-over time-averaged or final-step")
            }
            return firstStep(architecture: architecture, neuron: neuron, input: input, target: target)
        }
        // T >= 3: the statistic is averaged over independent randomized rules, all integrating at the same kernel (their
        // mean from the layer before), with fresh shifts at every layer: the value `TemporalKernel.propagate` reports.
        // The rules' seeds differ from propagate's, so evaluating the solution there is an independent check.
        let base = steps <= 2 ? nil : try GSL.quasiRandomPoints(count: settings.points, dimension: steps)
        let inputKernel = (0..<steps * steps).map { input.temporalKernel(t: $0 / steps, tPrime: $0 % steps) }
        var previous = inputKernel
        var variances: [Double] = [], achieved: [Double] = [], gains: [Double] = []
        // The first-step closed form as the starting guess (a rate of 0.5 or more has none: start from 0.4).
        var guessTarget = target
        if case let .rate(r) = target { guessTarget = .rate(min(r, 0.4)) }
        let firstGuess = firstStep(architecture: architecture, neuron: neuron, input: input, target: guessTarget)
        for l in 1...architecture.depth {
            let fanIn = Double(architecture.fanIn(layer: l))
            let kernel = previous
            // This layer's rules: fresh random shifts of the same points (as `TemporalKernel.propagate` draws them).
            let rules = base.map { base in
                (0..<settings.replicates).map { r in
                    QuasiMonteCarloRule(base: base, points: settings.points, steps: steps,
                                        seed: settings.seed &+ 0x5851_F42D_4C95_7F2D &* UInt64(r + 1)
                                            &+ 0xC2B2_AE3D_27D4_EB4F &* UInt64(l))
                }
            } ?? []
            func moments(_ gain: Double) throws -> [TemporalKernel.LayerMoments] {
                let sigma = kernel.map { gain * $0 }
                if rules.isEmpty {
                    return [steps == 1 ? TemporalKernel.oneStep(sigma[0], neuron) : try TemporalKernel.twoSteps(sigma, neuron)]
                }
                return rules.map { rule in rule.moments(sigma: sigma, neuron: neuron) }
            }
            func statistic(_ m: TemporalKernel.LayerMoments) -> Double {
                let values: [Double]
                switch target {
                case .rate: values = (0..<steps).map { m.kernel[$0 * steps + $0] }
                case .membraneVariance: values = m.membraneVariance
                }
                return horizon == .finalStep ? values[steps - 1] : values.reduce(0, +) / Double(steps)
            }
            let goal: Double
            switch target {
            case let .rate(r): goal = r
            case let .membraneVariance(v): goal = v
            }
            func averaged(_ ms: [TemporalKernel.LayerMoments]) -> Double {
                ms.map(statistic).reduce(0, +) / Double(ms.count)
            }
            var failure: Error?
            let f: (Double) -> Double = { gain in
                do { return averaged(try moments(gain)) - goal } catch {
                    failure = error
                    return .nan
                }
            }
            // Bracket the root around the first-step guess: the statistic grows with the gain.
            // Deep layers need nearly the gain of the layer before: start from it with a narrow bracket (a few
            // evaluations), else from the first-step guess; widen geometrically until the root is bracketed.
            let guess = l >= 3 ? gains[l - 2] : firstGuess.weightVariances[l - 1] * fanIn
            let factor = l >= 3 ? 1.02 : 2.0
            var lo = guess / factor, hi = guess * factor
            var flo = f(lo), fhi = f(hi)
            var smallest = lo, largest = hi
            var expansions = 0
            while flo > 0 && expansions < 200 { hi = lo; fhi = flo; lo /= 2; flo = f(lo); expansions += 1 }
            while fhi < 0 && expansions < 200 { lo = hi; flo = fhi; hi *= 2; fhi = f(hi); expansions += 1 }
            smallest = min(smallest, lo)
            largest = max(largest, hi)
            if let failure { throw failure }
            guard flo <= 0, fhi >= 0, flo.isFinite, fhi.isFinite else {
                let g = { (x: Double) in String(format: "%.4g", x) }
                // The statistic grows with the gain: below the target at the largest gain tried, or above it at the
                // smallest. The target as given (up to 6 digits), so that 0.9999 does not read as 1.
                let (side, bound) = fhi < 0
                    ? ("below", "at most \(g(fhi + goal))") : ("above", "at least \(g(flo + goal))")
                throw SolverError.unreachable(layer: l, detail: "the targeted statistic stays \(side) "
                    + "\(String(format: "%g", goal)) for every gain n Var[w] from \(g(smallest)) to \(g(largest)) "
                    + "(it reaches \(bound))")
            }
            let gain = flo == 0 ? lo : fhi == 0 ? hi : try GSL.findRoot(lower: lo, upper: hi, relativeTolerance: 1e-6, f)
            if let failure { throw failure }
            let ms = try moments(gain)
            gains.append(gain)
            variances.append(gain / fanIn)
            achieved.append(averaged(ms))
            previous = (0..<kernel.count).map { i in ms.reduce(0) { $0 + $1.kernel[i] } / Double(ms.count) }
        }
        return SolvedInitialization(weightVariances: variances, achieved: achieved)
    }

    /// The first step in closed form: the membrane variance sigma^2 = (theta / Q^{-1}(r))^2 for a rate target, and
    /// Var[w_l] = sigma^2 / (n_{l-1} E[s_{l-1}^2]) with E[s^2] the input's second moment at layer 1 and the held rate
    /// Q(theta / sigma) after it.
    public static func firstStep(_ network: Network, target: SolverTarget) -> SolvedInitialization {
        firstStep(architecture: network.architecture, neuron: network.neuron, input: network.input, target: target)
    }

    static func firstStep(architecture: Architecture, neuron: NeuronModel, input: InputEncoding,
                          target: SolverTarget) -> SolvedInitialization
    {
        let variance: Double
        switch target {
        case let .rate(r):
            let z = StandardNormal.inverseTail(r)
            variance = (neuron.threshold / z) * (neuron.threshold / z)
        case let .membraneVariance(v): variance = v
        }
        let rate = QuantizedGaussian(variance: variance, threshold: neuron.threshold).spikeProbability
        let variances = (1...architecture.depth).map { l in
            variance / (Double(architecture.fanIn(layer: l)) * (l == 1 ? input.secondMoment : rate))
        }
        let achieved: [Double]
        switch target {
        case .rate: achieved = Array(repeating: rate, count: architecture.depth)
        case .membraneVariance: achieved = Array(repeating: variance, count: architecture.depth)
        }
        return SolvedInitialization(weightVariances: variances, achieved: achieved)
    }
}

/// One fixed randomized quasi-Monte Carlo rule (shifted Sobol points mapped to normals), evaluated in a fixed
/// number of chunks so the result does not depend on the number of threads.
struct QuasiMonteCarloRule: Sendable {
    let z: [Double]
    let points: Int
    let steps: Int
    static let chunks = 8

    init(base: [Double], points: Int, steps: Int, seed: UInt64) {
        z = TemporalKernel.shiftedNormals(base, points: points, steps: steps, seed: seed ^ 0xD1B5_4A32_D192_ED03)
        self.points = points
        self.steps = steps
    }

    func moments(sigma: [Double], neuron: NeuronModel) -> TemporalKernel.LayerMoments {
        let chunkSize = (points + Self.chunks - 1) / Self.chunks
        // When the points do not fill every chunk the last ones are empty: nil, they add nothing.
        let parts = SlotArray<(TemporalKernel.LayerMoments, Double)?>(count: Self.chunks)
        DispatchQueue.concurrentPerform(iterations: Self.chunks) { c in
            let start = c * chunkSize, end = min(points, start + chunkSize)
            guard start < end else {
                parts.set(c, nil)
                return
            }
            let slice = Array(z[(start * steps)..<(end * steps)])
            parts.set(c, (TemporalKernel.monteCarloMoments(sigma: sigma, steps: steps, z: slice, points: end - start,
                                                           neuron: neuron), Double(end - start)))
        }
        return Self.combined(parts.values(), steps: steps, total: Double(points))
    }

    /// Weighted means in chunk order: the kernel and the first and second moments of u.
    private static func combined(_ parts: [(TemporalKernel.LayerMoments, Double)?], steps: Int,
                                 total: Double) -> TemporalKernel.LayerMoments
    {
        var kernel = [Double](repeating: 0, count: steps * steps)
        var mean = [Double](repeating: 0, count: steps), second = [Double](repeating: 0, count: steps)
        for case let (m, w)? in parts {
            for i in 0..<kernel.count { kernel[i] += m.kernel[i] * w / total }
            for t in 0..<steps {
                mean[t] += m.membraneMean[t] * w / total
                second[t] += (m.membraneVariance[t] + m.membraneMean[t] * m.membraneMean[t]) * w / total
            }
        }
        let variance = (0..<steps).map { max(second[$0] - mean[$0] * mean[$0], 0) }
        return TemporalKernel.LayerMoments(kernel: kernel, membraneMean: mean, membraneVariance: variance,
                                           rateError: Array(repeating: 0, count: steps),
                                           membraneVarianceError: Array(repeating: 0, count: steps))
    }
}
