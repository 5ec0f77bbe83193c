import Dispatch
import Foundation
import SNNModel
import SNNSupport

/// Statistics of one layer at one time step, from the multi-step mean-field theory.
public struct TemporalStep: Sendable, Equatable {
    /// 1-based time step.
    public let t: Int
    /// E[s_l[t]].
    public let rate: Double
    /// Standard error of `rate` (quasi-Monte Carlo: across independent randomizations; quadrature: GSL's bound).
    public let rateError: Double
    /// E[u_l[t]] before reset.
    public let membraneMean: Double
    /// Var[u_l[t]] before reset.
    public let membraneVariance: Double
    /// Standard error of `membraneVariance`.
    public let membraneVarianceError: Double
    /// Correlation of s_l[t-1] and s_l[t] across neurons and inputs (nil at t = 1 or when either rate is 0 or 1).
    public let spikeCorrelationWithPrevious: Double?
}

/// One layer of the multi-step mean-field prediction.
public struct TemporalLayer: Sendable, Equatable {
    public let layer: Int
    public let fanIn: Int
    public let width: Int
    public let weightVariance: Double
    public let steps: [TemporalStep]
    /// K_l(t, t') = E[s_l[t] s_l[t']], row-major T x T (0-based indices).
    public let kernel: [Double]

    /// Standard error of `timeAveragedRate` (its own replicate spread: per-step errors partly cancel in the average).
    public let timeAveragedRateError: Double

    /// The rate averaged over the T time steps.
    public var timeAveragedRate: Double { steps.map(\.rate).reduce(0, +) / Double(steps.count) }
}

/// How the T-dimensional Gaussian integral F(Sigma) is evaluated.
public enum TemporalKernelMethod: String, Sendable, CaseIterable {
    /// Quadrature for T <= 2, quasi-Monte Carlo above.
    case automatic
    /// Deterministic quadrature, T <= 2 only: the second step's spike probability given I[1] in closed form, every
    /// moment a 1-D GSL quadrature over I[1] (QAGIL/QAGIU split at the threshold).
    case quadrature
    /// Randomized quasi-Monte Carlo: Sobol points (GSL qrng; reverse Halton above 40 steps), independent random
    /// shifts per replicate and layer, the error estimated from the spread of the replicates' own chains.
    case quasiMonteCarlo = "qmc"
}

public struct TemporalKernelSettings: Sendable, Equatable {
    public var method: TemporalKernelMethod
    /// Quasi-random points per replicate.
    public var points: Int
    /// Independent randomizations; each runs the whole recursion, so the error estimate includes its propagation.
    public var replicates: Int
    public var seed: UInt64

    public init(method: TemporalKernelMethod = .automatic, points: Int = 4096, replicates: Int = 8, seed: UInt64 = 1) {
        self.method = method
        self.points = points
        self.replicates = replicates
        self.seed = seed
    }
}

extension TemporalKernelSettings {
    /// The largest quasi-Monte Carlo work accepted, in point x step x step products: measured at 1.4e9 per second
    /// on two cores (predict --steps 256 --depth 10: 2.1e10 in 14.7 s), so about 3.5 minutes.
    public static let workLimit = 3e11

    /// Refuses quasi-Monte Carlo sizes outside 64...2^20 points and 2...256 replicates (`qmc-points`,
    /// `qmc-replicates`).
    public static func checkQuasiMonteCarlo(points: Int, replicates: Int) throws {
        guard points >= 64, points <= 1 << 20 else {
            throw ModelError.invalid(parameter: "qmc-points", value: "\(points)", allowed: "an integer from 64 to 1048576")
        }
        guard replicates >= 2, replicates <= 256 else {
            throw ModelError.invalid(parameter: "qmc-replicates", value: "\(replicates)",
                                     allowed: "an integer from 2 to 256")
        }
    }

    /// The quasi-Monte Carlo products of `layerEvaluations` layer evaluations over `steps` steps: points x
    /// replicates x T^2 each; none for T <= 2, which quadrature covers.
    public static func work(steps: Int, points: Int, replicates: Int, layerEvaluations: Int) -> Double {
        guard steps > 2 else { return 0 }
        return Double(points) * Double(replicates) * Double(steps * steps) * Double(layerEvaluations)
    }

    /// Refuses work above `workLimit`, which would run for many minutes.
    public static func checkWork(steps: Int, points: Int, replicates: Int, layerEvaluations: Int) throws {
        let work = work(steps: steps, points: points, replicates: replicates, layerEvaluations: layerEvaluations)
        guard work <= workLimit else {
            throw ModelError.invalid(
                parameter: "steps", value: "\(steps)",
                allowed: "at most \(SignificantFigures.text(workLimit, digits: 2)) quasi-Monte Carlo products (points x "
                    + "replicates x steps^2 x layer evaluations); this run needs \(SignificantFigures.text(work, digits: 2)) "
                    + "(\(layerEvaluations) layer evaluations): lower --steps, --depth, --qmc-points or --qmc-replicates")
        }
    }
}

public struct TemporalPrediction: Sendable {
    public let layers: [TemporalLayer]
    /// The method used: `settings.method`, with `.automatic` resolved (quadrature for T <= 2, else quasi-Monte Carlo).
    public let method: TemporalKernelMethod
    public let settings: TemporalKernelSettings
}

public enum TemporalKernelError: Error, CustomStringConvertible, Equatable {
    case quadratureNeedsAtMostTwoSteps(Int)

    public var description: String {
        switch self {
        case let .quadratureNeedsAtMostTwoSteps(t):
            "method: quadrature covers T <= 2 time steps, not \(t); use qmc or automatic"
        }
    }
}

/// The multi-step mean-field theory (THEORY.md section 4): with the same W_l at every step, the currents of one
/// neuron over time are jointly Gaussian at infinite width, I_l ~ N(0, Sigma_l) with
///
///     Sigma_l(t, t') = n_{l-1} Var[w_l] K_{l-1}(t, t'),   K_l(t, t') = E[s_l[t] s_l[t']] = F(Sigma_l)(t, t'),
///
/// and u_l, s_l are deterministic functions of that sequence through the LIF update of `NeuronModel`. K_0 comes from
/// the input (`InputEncoding.temporalKernel`). T = 1 is the paper's recursion exactly; T = 2 by quadrature (the
/// second step's spike probability given I[1] in closed form, a 1-D quadrature over I[1]); larger T by randomized
/// quasi-Monte Carlo, with the standard error reported beside every value. The first time step is always the closed
/// form, so its rates and variances equal the paper's recursion whatever the method.
public enum TemporalKernel {
    /// The network's kernels over its T steps, for its weight variances (`Network.weightVariances`).
    public static func propagate(_ network: Network, settings: TemporalKernelSettings = TemporalKernelSettings(),
                                 progress: (@Sendable (_ finished: Int, _ total: Int) -> Void)? = nil) throws
        -> TemporalPrediction
    {
        try propagate(architecture: network.architecture, neuron: network.neuron, input: network.input,
                      steps: network.steps, weightVariances: network.weightVariances(), settings: settings,
                      progress: progress)
    }

    static func propagate(architecture: Architecture, neuron: NeuronModel, input: InputEncoding, steps: Int,
                          weightVariances: [Double],
                          settings: TemporalKernelSettings = TemporalKernelSettings(),
                          progress: (@Sendable (_ finished: Int, _ total: Int) -> Void)? = nil) throws
        -> TemporalPrediction
    {
        precondition(steps >= 1 && weightVariances.count == architecture.depth)
        precondition(settings.points >= 1 && settings.replicates >= 2)
        let inputKernel = (0..<steps * steps).map { input.temporalKernel(t: $0 / steps, tPrime: $0 % steps) }
        let method = settings.method == .automatic
            ? (steps <= 2 ? .quadrature : .quasiMonteCarlo) : settings.method
        if method == .quadrature {
            guard steps <= 2 else { throw TemporalKernelError.quadratureNeedsAtMostTwoSteps(steps) }
            let layers = try propagateByQuadrature(architecture: architecture, neuron: neuron, steps: steps,
                                                   inputKernel: inputKernel, weightVariances: weightVariances)
            return TemporalPrediction(layers: layers, method: .quadrature, settings: settings)
        }
        let layers = try propagateByQuasiMonteCarlo(architecture: architecture, neuron: neuron, steps: steps,
                                                    inputKernel: inputKernel, weightVariances: weightVariances,
                                                    settings: settings, progress: progress)
        return TemporalPrediction(layers: layers, method: .quasiMonteCarlo, settings: settings)
    }

    // MARK: Per-layer statistics from one evaluation of F

    /// What one evaluation of F(Sigma) yields for one layer.
    struct LayerMoments {
        var kernel: [Double]
        var membraneMean: [Double]
        var membraneVariance: [Double]
        var rateError: [Double]
        var membraneVarianceError: [Double]
        var timeAveragedRateError = 0.0
    }

    static func makeLayer(_ l: Int, architecture: Architecture, weightVariance: Double, moments m: LayerMoments,
                          steps: Int) -> TemporalLayer
    {
        let stepRecords = (0..<steps).map { t -> TemporalStep in
            let r = m.kernel[t * steps + t]
            var correlation: Double? = nil
            if t > 0 {
                let rp = m.kernel[(t - 1) * steps + t - 1]
                let denominator = (rp * (1 - rp) * r * (1 - r)).squareRoot()
                if denominator > 0 { correlation = (m.kernel[(t - 1) * steps + t] - rp * r) / denominator }
            }
            return TemporalStep(t: t + 1, rate: r, rateError: m.rateError[t], membraneMean: m.membraneMean[t],
                                membraneVariance: m.membraneVariance[t],
                                membraneVarianceError: m.membraneVarianceError[t],
                                spikeCorrelationWithPrevious: correlation)
        }
        return TemporalLayer(layer: l, fanIn: architecture.fanIn(layer: l), width: architecture.width(layer: l),
                             weightVariance: weightVariance, steps: stepRecords, kernel: m.kernel,
                             timeAveragedRateError: m.timeAveragedRateError)
    }

    // MARK: Quadrature (T <= 2)

    static func propagateByQuadrature(architecture: Architecture, neuron: NeuronModel, steps: Int,
                                      inputKernel: [Double], weightVariances: [Double]) throws -> [TemporalLayer]
    {
        var previous = inputKernel
        var layers: [TemporalLayer] = []
        for l in 1...architecture.depth {
            let gain = Double(architecture.fanIn(layer: l)) * weightVariances[l - 1]
            let sigma = previous.map { gain * $0 }
            let moments = steps == 1 ? oneStep(sigma[0], neuron) : try twoSteps(sigma, neuron)
            layers.append(makeLayer(l, architecture: architecture, weightVariance: weightVariances[l - 1],
                                    moments: moments, steps: steps))
            previous = moments.kernel
        }
        return layers
    }

    static func oneStep(_ variance: Double, _ neuron: NeuronModel) -> LayerMoments {
        let r = variance > 0 ? QuantizedGaussian(variance: variance, threshold: neuron.threshold).spikeProbability : 0
        return LayerMoments(kernel: [r], membraneMean: [0], membraneVariance: [variance], rateError: [0],
                            membraneVarianceError: [0])
    }

    /// T = 2: condition on I[1] (split at the threshold, where s[1] jumps); given I[1] = x the second current is
    /// N(k x, v) with k = Sigma_12 / Sigma_11 and v = Sigma_22 - Sigma_12^2 / Sigma_11, so u[2] = g(x) + N(0, v) and
    /// P(s[2] = 1 | x) = Q((theta - g(x)) / sqrt v) in closed form. Every moment is then a 1-D GSL quadrature.
    static func twoSteps(_ sigma: [Double], _ neuron: NeuronModel) throws -> LayerMoments {
        let a = sigma[0], c = sigma[1], b = sigma[3], theta = neuron.threshold, beta = neuron.leak
        if a <= 0 {
            // I[1] = 0: no spike at t = 1, and u[2] = I[2].
            let second = oneStep(b, neuron)
            return LayerMoments(kernel: [0, 0, 0, second.kernel[0]], membraneMean: [0, 0],
                                membraneVariance: [0, b], rateError: [0, 0], membraneVarianceError: [0, 0])
        }
        let sd1 = a.squareRoot(), k = c / a, v = b - c * c / a
        if v <= 1e-12 * max(a, b) {
            return try twoStepsDeterministicSecondCurrent(a: a, k: k, neuron)
        }
        let sdc = v.squareRoot()
        let y0 = theta / sd1
        // g(sd1 * y): the part of u[2] fixed by I[1] (leak, reset, and the conditional mean of I[2]).
        func g(_ y: Double) -> Double {
            let x = sd1 * y
            let spiked = x > theta
            switch neuron.reset {
            case .subtract: return beta * x - (spiked ? theta : 0) + k * x
            case .zero: return (spiked ? 0 : beta * x) + k * x
            }
        }
        func both(_ f: @escaping (Double) -> Double) throws -> (below: GSL.Quadrature, above: GSL.Quadrature) {
            let integrand: (Double) -> Double = { y in
                let w = StandardNormal.density(y)
                return w == 0 ? 0 : w * f(y)
            }
            let below = try GSL.integrateFromMinusInfinity(to: y0, absoluteTolerance: 1e-15, integrand)
            let above = try GSL.integrateToInfinity(from: y0, absoluteTolerance: 1e-15, relativeTolerance: 1e-12,
                                                    integrand)
            return (below, above)
        }
        let secondSpike = try both { y in StandardNormal.tail((theta - g(y)) / sdc) }
        let mean2 = try both { y in g(y) }
        let square2 = try both { y in let m = g(y); return m * m + v }
        let r1 = StandardNormal.tail(y0)
        let r2 = secondSpike.below.value + secondSpike.above.value
        let k12 = secondSpike.above.value
        let m2 = mean2.below.value + mean2.above.value
        let var2 = square2.below.value + square2.above.value - m2 * m2
        let r2Error = secondSpike.below.absoluteError + secondSpike.above.absoluteError
        let var2Error = square2.below.absoluteError + square2.above.absoluteError
            + 2 * abs(m2) * (mean2.below.absoluteError + mean2.above.absoluteError)
        return LayerMoments(kernel: [r1, k12, k12, r2], membraneMean: [0, m2], membraneVariance: [a, var2],
                            rateError: [0, r2Error], membraneVarianceError: [0, var2Error])
    }

    /// T = 2 when I[2] = k I[1] exactly (a rank-one covariance, e.g. a constant analog input, or a silent t = 2):
    /// u[2] = alpha x + gamma on each side of the threshold x = theta, so every spike probability is a Gaussian
    /// interval probability in closed form; the membrane moments are smooth 1-D quadratures.
    static func twoStepsDeterministicSecondCurrent(a: Double, k: Double, _ neuron: NeuronModel) throws
        -> LayerMoments
    {
        let sd1 = a.squareRoot(), theta = neuron.threshold, beta = neuron.leak
        // (slope, intercept) of u[2] as a function of x = I[1], below and above the threshold.
        let below = (beta + k, 0.0)
        let above = neuron.reset == .subtract ? (beta + k, -theta) : (k, 0.0)
        func probability(_ piece: (Double, Double), lower: Double, upper: Double) -> Double {
            let (alpha, gamma) = piece
            var lo = lower, hi = upper
            if alpha > 0 {
                lo = max(lo, (theta - gamma) / alpha)
            } else if alpha < 0 {
                hi = min(hi, (theta - gamma) / alpha)
            } else if gamma <= theta {
                return 0
            }
            guard lo < hi else { return 0 }
            return StandardNormal.tail(lo / sd1) - StandardNormal.tail(hi / sd1)
        }
        let joint = probability(above, lower: theta, upper: .infinity)
        let r2 = probability(below, lower: -.infinity, upper: theta) + joint
        let y0 = theta / sd1
        func moment(_ power: Double) throws -> Double {
            let f: (Double, (Double, Double)) -> Double = { y, piece in
                let w = StandardNormal.density(y)
                return w == 0 ? 0 : w * pow(piece.0 * sd1 * y + piece.1, power)
            }
            let lower = try GSL.integrateFromMinusInfinity(to: y0, absoluteTolerance: 1e-15) { f($0, below) }
            let upper = try GSL.integrateToInfinity(from: y0, absoluteTolerance: 1e-15, relativeTolerance: 1e-12) {
                f($0, above)
            }
            return lower.value + upper.value
        }
        let m2 = try moment(1), s2 = try moment(2)
        return LayerMoments(kernel: [StandardNormal.tail(y0), joint, joint, r2], membraneMean: [0, m2],
                            membraneVariance: [a, max(s2 - m2 * m2, 0)], rateError: [0, 0],
                            membraneVarianceError: [0, 0])
    }

    // MARK: Randomized quasi-Monte Carlo (any T)

    static func propagateByQuasiMonteCarlo(architecture: Architecture, neuron: NeuronModel, steps: Int,
                                           inputKernel: [Double], weightVariances: [Double],
                                           settings: TemporalKernelSettings,
                                           progress: (@Sendable (_ finished: Int, _ total: Int) -> Void)? = nil) throws
        -> [TemporalLayer]
    {
        let n = settings.points, replicates = settings.replicates, depth = architecture.depth
        let base = try GSL.quasiRandomPoints(count: n, dimension: steps)
        // Two estimates per layer. The value: every replicate integrates F at the same kernel, the mean of their
        // results (all R x N points) from the layer before, so the integration noise that a nonlinear map turns into
        // bias is that of R x N points. The error: each replicate also carries its own chain K^r_l = F_r(g K^r_(l-1))
        // from the input on; the chains' spread is the propagated error of the value (to first order, the chains
        // differ from the value by the tangent propagation of each replicate's noise), so deep layers, where the
        // kernel map has a nearly neutral direction, report the error accumulated over the layers above.
        // Each replicate draws a fresh random shift at every layer: with one point set reused at every layer the
        // integration errors of successive layers are alike and add up coherently along that neutral direction
        // (measured: a bias of -0.009 in the time-averaged rate at layer 50, beta 0.5, T 20, three times the spread
        // across seeds); independent shifts make them add like a random walk.
        var shared = inputKernel
        var chains = Array(repeating: inputKernel, count: replicates)
        var layers: [TemporalLayer] = []
        layers.reserveCapacity(depth)
        for l in 1...depth {
            let gain = Double(architecture.fanIn(layer: l)) * weightVariances[l - 1]
            let atShared = SlotArray<LayerMoments>(count: replicates)
            let alongChain = SlotArray<LayerMoments>(count: replicates)
            let sharedSigma = shared.map { gain * $0 }, chainKernels = chains
            DispatchQueue.concurrentPerform(iterations: replicates) { r in
                let z = shiftedNormals(base, points: n, steps: steps,
                                       seed: settings.seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(r + 1)
                                           &+ 0xC2B2_AE3D_27D4_EB4F &* UInt64(l))
                atShared.set(r, monteCarloMoments(sigma: sharedSigma, steps: steps, z: z, points: n, neuron: neuron))
                alongChain.set(r, monteCarloMoments(sigma: chainKernels[r].map { gain * $0 }, steps: steps, z: z,
                                                    points: n, neuron: neuron))
            }
            let values = atShared.values(), reps = alongChain.values()
            shared = mean(values.map(\.kernel))
            chains = reps.map(\.kernel)
            let rateError = standardError(reps.map { m in (0..<steps).map { m.kernel[$0 * steps + $0] } })
            let varianceError = standardError(reps.map(\.membraneVariance))
            let averages = reps.map { m in [(0..<steps).reduce(0) { $0 + m.kernel[$1 * steps + $1] } / Double(steps)] }
            let moments = LayerMoments(kernel: shared, membraneMean: mean(values.map(\.membraneMean)),
                                       membraneVariance: mean(values.map(\.membraneVariance)),
                                       rateError: rateError, membraneVarianceError: varianceError,
                                       timeAveragedRateError: standardError(averages)[0])
            layers.append(makeLayer(l, architecture: architecture, weightVariance: weightVariances[l - 1],
                                    moments: moments, steps: steps))
            progress?(l, depth)
        }
        return layers
    }

    /// Standard normal coordinates of the points `base` (point-major, `steps` per point) under one random shift
    /// modulo 1 drawn from `seed` (a randomized QMC replicate), kept off 0 and 1.
    static func shiftedNormals(_ base: [Double], points: Int, steps: Int, seed: UInt64) -> [Double] {
        var rng = SplitMix64(state: seed)
        let shift = (0..<steps).map { _ in rng.nextUnitDouble() }
        var z = [Double](repeating: 0, count: points * steps)
        for i in 0..<points {
            for t in 0..<steps {
                var p = base[i * steps + t] + shift[t]
                if p >= 1 { p -= 1 }
                z[i * steps + t] = GSL.normalQuantile(min(max(p, 0x1p-60), 1 - 0x1p-53))
            }
        }
        return z
    }

    /// F(Sigma) and the membrane moments as averages over the points I = L z, L the (PSD) Cholesky factor of Sigma.
    static func monteCarloMoments(sigma: [Double], steps: Int, z: [Double], points n: Int,
                                  neuron: NeuronModel) -> LayerMoments
    {
        let l = Cholesky.factor(sigma, steps)
        let theta = neuron.threshold, beta = neuron.leak, subtract = neuron.reset == .subtract
        var counts = [Double](repeating: 0, count: steps * steps)
        var uSum = [Double](repeating: 0, count: steps), u2Sum = [Double](repeating: 0, count: steps)
        var active = [Int](repeating: 0, count: steps)
        l.withUnsafeBufferPointer { lp in
            z.withUnsafeBufferPointer { zp in
                counts.withUnsafeMutableBufferPointer { cp in
                    for i in 0..<n {
                        let zi = zp.baseAddress! + i * steps
                        var u = 0.0, spikedBefore = false, nActive = 0
                        for t in 0..<steps {
                            var current = 0.0
                            let row = lp.baseAddress! + t * steps
                            for k in 0...t { current += row[k] * zi[k] }
                            if subtract {
                                u = beta * u + current - (spikedBefore ? theta : 0)
                            } else {
                                u = spikedBefore ? current : beta * u + current
                            }
                            uSum[t] += u
                            u2Sum[t] += u * u
                            spikedBefore = u > theta
                            if spikedBefore {
                                active[nActive] = t
                                nActive += 1
                            }
                        }
                        for a in 0..<nActive {
                            let rowStart = active[a] * steps
                            for b in a..<nActive { cp[rowStart + active[b]] += 1 }
                        }
                    }
                }
            }
        }
        let scale = 1 / Double(n)
        var kernel = [Double](repeating: 0, count: steps * steps)
        for t in 0..<steps {
            for s in t..<steps {
                kernel[t * steps + s] = counts[t * steps + s] * scale
                kernel[s * steps + t] = kernel[t * steps + s]
            }
        }
        var membraneMean = uSum.map { $0 * scale }
        var membraneVariance = (0..<steps).map { max(u2Sum[$0] * scale - membraneMean[$0] * membraneMean[$0], 0) }
        // The first step is known in closed form (u[1] = I[1] ~ N(0, Sigma_11)): use it rather than its estimate.
        kernel[0] = sigma[0] > 0 ? QuantizedGaussian(variance: sigma[0], threshold: theta).spikeProbability : 0
        membraneMean[0] = 0
        membraneVariance[0] = sigma[0]
        return LayerMoments(kernel: kernel, membraneMean: membraneMean, membraneVariance: membraneVariance,
                            rateError: Array(repeating: 0, count: steps),
                            membraneVarianceError: Array(repeating: 0, count: steps))
    }

    static func mean(_ vectors: [[Double]]) -> [Double] {
        let r = Double(vectors.count)
        return (0..<vectors[0].count).map { i in vectors.reduce(0) { $0 + $1[i] } / r }
    }

    static func standardError(_ vectors: [[Double]]) -> [Double] {
        let r = Double(vectors.count), m = mean(vectors)
        return (0..<m.count).map { i in
            let ss = vectors.reduce(0) { $0 + ($1[i] - m[i]) * ($1[i] - m[i]) }
            return (ss / (r - 1) / r).squareRoot()
        }
    }
}
