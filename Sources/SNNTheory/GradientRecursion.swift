import Dispatch
import Foundation
import SNNModel
import SNNSupport

/// One layer of the backward mean field (THEORY.md section 10). Every variance is relative to the last layer's, as
/// `simulate --gradients` reports it (a ratio of expectations over networks).
public struct GradientLayer: Sendable, Equatable {
    /// l, from 1.
    public let layer: Int
    /// `membraneVariance[t - 1]` = Var[delta_l[t]] / Var[delta_L[t]], delta_l[t] = dL/du_l[t]; 0 past underflow
    /// (`logMembraneVariance` keeps it).
    public let membraneVariance: [Double]
    /// ln of `membraneVariance`, finite past underflow.
    public let logMembraneVariance: [Double]
    /// Standard errors of `membraneVariance` (quasi-Monte Carlo replicates; 0 for T = 1, a closed form).
    public let membraneVarianceError: [Double]
    /// sum_t Var[delta_l[t]] / sum_t Var[delta_L[t]]: the variance pooled over the steps, relative.
    public let pooledMembraneVariance: Double
    public let logPooledMembraneVariance: Double
    public let pooledMembraneVarianceError: Double
    /// The variance of an entry of one item's weight gradient dL/dW_l = sum_t delta_l[t] s_{l-1}[t]^T, relative to
    /// the last layer's: sum_{t, t'} D_l(t, t') K_{l-1}(t, t') over the same for L.
    public let weightVariance: Double
    public let logWeightVariance: Double
    public let weightVarianceError: Double
    /// chi_l: the factor by which layer l scales the pooled mean square of the error signal e = dL/ds passing down
    /// through it, tr(E_{l-1}) / tr(E_l); at T = 1, n_l Var[w_l] E[h(u_l - theta)^2] (section 7's chi_back; n_l the
    /// layer's width, over which the backward sum runs).
    public let chi: Double
    /// Standard error of `chi` (0 for T = 1).
    public let chiError: Double
}

/// The backward mean field of one network (`GradientRecursion.propagate`).
public struct GradientPrediction: Sendable {
    public let surrogate: Surrogate
    public let resetGradient: ResetGradient
    public let steps: Int
    /// `layers[l - 1]`, l = 1...L.
    public let layers: [GradientLayer]
    /// Var[delta_L[t]] in absolute terms (the readout g has unit variance), t = 1...T.
    public let lastLayerMembraneVariance: [Double]
    /// The variance of an entry of one item's weight gradient at layer L, absolute.
    public let lastLayerWeightVariance: Double
    /// True for T = 1 (closed forms and quadrature); false for quasi-Monte Carlo.
    public let exact: Bool
    /// Quasi-Monte Carlo settings (unused for T = 1).
    public let settings: TemporalKernelSettings

    /// The geometric mean of chi_l over layers 2...L (over layer 1 alone for L = 1): the per-layer growth of the
    /// pooled gradient variance across the network.
    public var meanChi: Double {
        let inner = layers.count > 1 ? Array(layers.dropFirst()) : layers
        return exp(inner.reduce(0) { $0 + log($1.chi) } / Double(inner.count))
    }

    /// 1 / |ln meanChi|: the layers over which the gradient variance changes by a factor e (nil when |ln meanChi| < 1e-9).
    public var depthScale: Double? {
        let c = log(meanChi)
        return abs(c) < 1e-9 || !c.isFinite ? nil : 1 / abs(c)
    }

    /// log10 of the pooled Var[delta_1] / Var[delta_L].
    public var log10FirstOverLast: Double { layers[0].logPooledMembraneVariance / log(10.0) }
}

/// The backward pass in the wide-layer limit (THEORY.md section 10), for L = sum_t g^T s_L[t], g ~ N(0, I):
///
///     delta_l[t] = a_l[t] e_l[t] + b_l[t] delta_l[t+1],   e_l[t] = W_{l+1}^T delta_{l+1}[t],   e_L[t] = g
///
/// with a = h(u - theta) and b = beta (subtract, detached), beta - theta h (subtract, attached), beta (1 - s) (zero,
/// detached), beta (1 - s) - beta u h (zero, attached). So delta_l = J_l e_l with J_l the T x T upper-triangular
/// Jacobian J(s, k) = a[k] prod_{j=s}^{k-1} b[j]. With the backward weights independent of everything forward
/// (assumption B1), e_l is Gaussian with covariance E_l = n_{l+1} Var[w_{l+1}] D_{l+1}, independent of u_l, and
///
///     D_l = E[J_l E_l J_l^T],   E_{l-1} = n_l Var[w_l] D_l  (n_l: layer l's width),   E_L = 1 (every entry: the same g at every step),
///
/// the expectation over the forward mean field's currents I_l ~ N(0, Sigma_l), Sigma_l = n_{l-1} Var[w_l] K_{l-1}
/// (section 4). T = 1 is D_l = E[h(u_l - theta)^2] E_l in closed form or quadrature (`SurrogateIntegrals`); larger T
/// is randomized quasi-Monte Carlo over the same points as the forward theory (`TemporalKernelSettings`), each
/// replicate carrying its own chain from layer L down with a fresh random shift per layer, so each replicate's
/// chain is an unbiased estimate and their spread the error. The per-item weight gradient's entry variance is
/// sum_{t, t'} D_l(t, t') K_{l-1}(t, t') (assumption B2: delta_l independent of the layer's input spikes).
public enum GradientRecursion {
    /// The backward mean field of `network` (its weight variances, neuron, input and steps), given its forward
    /// prediction: `firstStep` (always) and `temporal` (needed for T > 1).
    public static func propagate(_ network: Network, firstStep: [FirstStepLayer], temporal: TemporalPrediction?,
                                 surrogate: Surrogate, resetGradient: ResetGradient,
                                 settings: TemporalKernelSettings = TemporalKernelSettings()) throws
        -> GradientPrediction
    {
        let steps = network.steps
        if steps == 1 {
            return try firstStepRecursion(firstStep: firstStep, neuron: network.neuron, input: network.input,
                                          surrogate: surrogate, resetGradient: resetGradient, settings: settings)
        }
        guard let temporal else { preconditionFailure("GradientRecursion needs the temporal prediction for T > 1") }
        return try multiStepRecursion(temporal: temporal, neuron: network.neuron, input: network.input, steps: steps,
                                      surrogate: surrogate, resetGradient: resetGradient, settings: settings)
    }

    /// The same, evaluating the forward prediction first (`VarianceRecursion.firstStep`, and for T > 1
    /// `TemporalKernel.propagate` with the same settings).
    public static func propagate(_ network: Network, surrogate: Surrogate, resetGradient: ResetGradient,
                                 settings: TemporalKernelSettings = TemporalKernelSettings()) throws
        -> GradientPrediction
    {
        let temporal = network.steps > 1 ? try TemporalKernel.propagate(network, settings: settings) : nil
        return try propagate(network, firstStep: VarianceRecursion.firstStep(network), temporal: temporal,
                             surrogate: surrogate, resetGradient: resetGradient, settings: settings)
    }

    // MARK: T = 1

    /// D_l = E[h(u_l - theta)^2] E_l, E_{l-1} = chi_l E_l with chi_l = n_l Var[w_l] E[h(u_l - theta)^2], in logs.
    static func firstStepRecursion(firstStep: [FirstStepLayer], neuron: NeuronModel, input: InputEncoding,
                                   surrogate: Surrogate, resetGradient: ResetGradient,
                                   settings: TemporalKernelSettings) throws -> GradientPrediction
    {
        let depth = firstStep.count
        let logSquare = try firstStep.map { l -> Double in
            let sigma = exp(l.logMembraneVariance / 2)
            return log(try SurrogateIntegrals.secondMoment(surrogate, offset: -neuron.threshold,
                                                           standardDeviation: sigma.isFinite ? sigma : 0))
        }
        // The backward sum over layer l's n_l neurons: n_l Var[w_l] (n_l, not the fan-in n_{l-1}, in a non-square layer).
        let logGain = firstStep.map { log(Double($0.width) * $0.weightVariance) }
        // ln E_l (E_L = 1), ln D_l = ln E[h^2] + ln E_l; the weight gradient adds ln K_{l-1}(1, 1).
        var logE = [Double](repeating: 0, count: depth)
        for l in stride(from: depth - 1, through: 1, by: -1) {
            logE[l - 1] = logE[l] + logGain[l] + logSquare[l]
        }
        let logD = (0..<depth).map { logE[$0] + logSquare[$0] }
        let logK = (0..<depth).map { l in l == 0 ? log(input.secondMoment) : log(firstStep[l - 1].rate) }
        let logW = (0..<depth).map { logD[$0] + logK[$0] }
        let layers = (0..<depth).map { l -> GradientLayer in
            let relative = logD[l] - logD[depth - 1], weight = logW[l] - logW[depth - 1]
            return GradientLayer(layer: l + 1, membraneVariance: [exp(relative)], logMembraneVariance: [relative],
                                 membraneVarianceError: [0], pooledMembraneVariance: exp(relative),
                                 logPooledMembraneVariance: relative, pooledMembraneVarianceError: 0,
                                 weightVariance: exp(weight), logWeightVariance: weight, weightVarianceError: 0,
                                 chi: exp(logGain[l] + logSquare[l]), chiError: 0)
        }
        return GradientPrediction(surrogate: surrogate, resetGradient: resetGradient, steps: 1, layers: layers,
                                  lastLayerMembraneVariance: [exp(logD[depth - 1])],
                                  lastLayerWeightVariance: exp(logW[depth - 1]), exact: true, settings: settings)
    }

    // MARK: T > 1

    /// One replicate's chain: per layer D_l = d * exp(logScale) with d of trace 1, and ln tr(E_l) for l = 0...L.
    struct Chain {
        var d: [[Double]]
        var logScale: [Double]
        var logTraceE: [Double]
    }

    static func multiStepRecursion(temporal: TemporalPrediction, neuron: NeuronModel, input: InputEncoding,
                                   steps: Int, surrogate: Surrogate, resetGradient: ResetGradient,
                                   settings: TemporalKernelSettings) throws -> GradientPrediction
    {
        let depth = temporal.layers.count, n = settings.points, replicates = settings.replicates
        let base = try GSL.quasiRandomPoints(count: n, dimension: steps)
        let inputKernel = (0..<steps * steps).map { input.temporalKernel(t: $0 / steps, tPrime: $0 % steps) }
        let kernels = [inputKernel] + temporal.layers.map(\.kernel)
        let chains = SlotArray<Chain>(count: replicates)
        DispatchQueue.concurrentPerform(iterations: replicates) { r in
            var chain = Chain(d: Array(repeating: [], count: depth), logScale: Array(repeating: 0, count: depth),
                              logTraceE: Array(repeating: 0, count: depth + 1))
            // E_L = 1 everywhere, kept as E / tr(E) with ln tr(E) beside it.
            var e = [Double](repeating: 1 / Double(steps), count: steps * steps)
            chain.logTraceE[depth] = log(Double(steps))
            for l in stride(from: depth, through: 1, by: -1) {
                let layer = temporal.layers[l - 1]
                let gain = Double(layer.fanIn) * layer.weightVariance
                let z = TemporalKernel.shiftedNormals(
                    base, points: n, steps: steps,
                    seed: settings.seed &+ 0xD1B5_4A32_D192_ED03 &* UInt64(r + 1) &+ 0x8CB9_2BA7_2F3D_8DD7 &* UInt64(l))
                let d = jacobianSandwich(sigma: kernels[l - 1].map { gain * $0 }, e: e, steps: steps, z: z, points: n,
                                         neuron: neuron, surrogate: surrogate, resetGradient: resetGradient)
                let traceD = trace(d, steps)
                // A layer whose surrogate is 0 wherever its potentials go (a collapsed layer, a compact h) passes no
                // gradient: ln 0 = -inf from here down, the shape of E kept so that nothing turns into NaN.
                if traceD > 0 { e = d.map { $0 / traceD } }
                chain.d[l - 1] = e
                chain.logScale[l - 1] = chain.logTraceE[l] + log(traceD)
                chain.logTraceE[l - 1] = log(Double(layer.width) * layer.weightVariance) + chain.logScale[l - 1]
            }
            chains.set(r, chain)
        }
        let all = chains.values()
        // Per layer and replicate, ln of the absolute D_l(t, t), of sum_t D_l(t, t) and of the weight variance.
        func logDiagonal(_ c: Chain, _ l: Int, _ t: Int) -> Double { c.logScale[l] + log(c.d[l][t * steps + t]) }
        func logPooled(_ c: Chain, _ l: Int) -> Double { c.logScale[l] }
        func logWeight(_ c: Chain, _ l: Int) -> Double {
            let k = kernels[l]
            let s = (0..<steps * steps).reduce(0.0) { $0 + c.d[l][$1] * k[$1] }
            return c.logScale[l] + log(s)
        }
        let last = depth - 1
        let layers = (0..<depth).map { l -> GradientLayer in
            let perStep = (0..<steps).map { t in
                ratioOfMeans(all.map { logDiagonal($0, l, t) }, all.map { logDiagonal($0, last, t) })
            }
            let pooled = ratioOfMeans(all.map { logPooled($0, l) }, all.map { logPooled($0, last) })
            let weight = ratioOfMeans(all.map { logWeight($0, l) }, all.map { logWeight($0, last) })
            // chi_l from the replicates' mean traces: mean_r tr(E_{l-1}) / mean_r tr(E_l).
            let chi = ratioOfMeans(all.map { $0.logTraceE[l] }, all.map { $0.logTraceE[l + 1] })
            return GradientLayer(layer: l + 1, membraneVariance: perStep.map { exp($0.log) },
                                 logMembraneVariance: perStep.map(\.log), membraneVarianceError: perStep.map(\.error),
                                 pooledMembraneVariance: exp(pooled.log), logPooledMembraneVariance: pooled.log,
                                 pooledMembraneVarianceError: pooled.error, weightVariance: exp(weight.log),
                                 logWeightVariance: weight.log, weightVarianceError: weight.error, chi: exp(chi.log),
                                 chiError: chi.error)
        }
        return GradientPrediction(
            surrogate: surrogate, resetGradient: resetGradient, steps: steps, layers: layers,
            lastLayerMembraneVariance: (0..<steps).map { t in exp(logMeanExp(all.map { logDiagonal($0, last, t) })) },
            lastLayerWeightVariance: exp(logMeanExp(all.map { logWeight($0, last) })), exact: false,
            settings: settings)
    }

    /// E[J X J^T] over the points I = L z (L the Cholesky factor of `sigma`), X = `e`, all T x T row-major. Per point
    /// the trajectory u[t] of section 1 gives a[t], b[t]; then M = J X by rows, M(s, .) = a[s] X(s, .) + b[s] M(s+1, .),
    /// and J X J^T by columns, Y(., t) = a[t] M(., t) + b[t] Y(., t+1): O(T^2) per point.
    static func jacobianSandwich(sigma: [Double], e: [Double], steps: Int, z: [Double], points n: Int,
                                 neuron: NeuronModel, surrogate: Surrogate, resetGradient: ResetGradient) -> [Double]
    {
        let l = Cholesky.factor(sigma, steps)
        let theta = neuron.threshold, beta = neuron.leak, subtract = neuron.reset == .subtract
        let attached = resetGradient == .attached
        var sum = [Double](repeating: 0, count: steps * steps)
        var a = [Double](repeating: 0, count: steps), b = [Double](repeating: 0, count: steps)
        var m = [Double](repeating: 0, count: steps * steps), y = [Double](repeating: 0, count: steps * steps)
        for i in 0..<n {
            var u = 0.0, spikedBefore = false
            for t in 0..<steps {
                var current = 0.0
                for k in 0...t { current += l[t * steps + k] * z[i * steps + k] }
                if subtract {
                    u = beta * u + current - (spikedBefore ? theta : 0)
                } else {
                    u = spikedBefore ? current : beta * u + current
                }
                spikedBefore = u > theta
                let h = surrogate.derivative(u - theta)
                a[t] = h
                if subtract {
                    b[t] = attached ? beta - theta * h : beta
                } else {
                    let kept = spikedBefore ? 0 : beta
                    b[t] = attached ? kept - beta * u * h : kept
                }
            }
            for s in stride(from: steps - 1, through: 0, by: -1) {
                for k in 0..<steps {
                    m[s * steps + k] = a[s] * e[s * steps + k] + (s + 1 < steps ? b[s] * m[(s + 1) * steps + k] : 0)
                }
            }
            for t in stride(from: steps - 1, through: 0, by: -1) {
                for s in 0..<steps {
                    y[s * steps + t] = a[t] * m[s * steps + t] + (t + 1 < steps ? b[t] * y[s * steps + t + 1] : 0)
                }
            }
            for k in 0..<steps * steps { sum[k] += y[k] }
        }
        return sum.map { $0 / Double(n) }
    }

    static func trace(_ x: [Double], _ steps: Int) -> Double {
        (0..<steps).reduce(0) { $0 + x[$1 * steps + $1] }
    }

    /// ln mean_r exp(x_r).
    static func logMeanExp(_ x: [Double]) -> Double {
        let top = x.max()!
        guard top.isFinite else { return top }
        return top + log(x.reduce(0) { $0 + exp($1 - top) } / Double(x.count))
    }

    /// ln(mean_r a_r / mean_r b_r) for a_r = exp(logA_r), b_r = exp(logB_r), and the delta-method standard error of
    /// the ratio, sqrt(sum_r (a_r - ratio b_r)^2 / (R (R - 1))) / mean_r b_r (as `simulate --gradients` computes it
    /// over networks).
    static func ratioOfMeans(_ logA: [Double], _ logB: [Double]) -> (log: Double, error: Double) {
        let la = logMeanExp(logA), lb = logMeanExp(logB)
        let logRatio = la - lb
        let r = Double(logA.count)
        // In units of mean(a): a_r / mean(a) - b_r / mean(b).
        let squares = zip(logA, logB).reduce(0.0) { s, p in
            let d = exp(p.0 - la) - exp(p.1 - lb)
            return s + d * d
        }
        let relative = (squares / (r * (r - 1))).squareRoot()
        return (logRatio, exp(logRatio) * relative)
    }
}
