import Foundation
import SNNModel

/// ln of Var[delta_l] / Var[delta_L] and of the per-item weight gradient's entry variance over layer L's, l = 1...L,
/// at finite width (`GradientRecursion.finiteWidthFirstStep`).
public struct FiniteWidthGradient: Sendable, Equatable {
    public let logMembraneVariance: [Double]
    public let logWeightVariance: [Double]
}

/// The first step's backward pass at finite width (THEORY.md section 10, "Finite width"): the mean field's gain
/// n_l Var[w_l] E[h^2] evaluated, layer by layer, at the network's own active counts, averaged over the exact
/// finite-width chain of section 5 with the correlation between a layer's surrogate factors and its spikes kept.
extension GradientRecursion {
    /// ln(Var[delta_l] / Var[delta_L]) at the first step, l = 1...L, for finite widths: with the backward weights
    /// independent of the forward ones (B1) but the forward activity that of finite layers,
    ///
    ///     Var[delta_l] / Var[delta_L] = prod_{m=l+1}^{L} n_m Var[w_m] x E[V_l(k_{l-1})] / E[V_L(k_{L-1})],
    ///     V_L(k) = E[h^2 | k],   V_l(k) = A_l(k) E[(k'/n_l) V_{l+1}(k') | k] + B_l(k) E[(1 - k'/n_l) V_{l+1}(k') | k],
    ///
    /// k_{l-1} the active count feeding layer l (Binomial(n_0, p) at the input, section 5's chain after), k' = k_l,
    /// A_l(k) = E[h(u - theta)^2 | u > theta] and B_l(k) = E[h(u - theta)^2 | u <= theta] for u ~ N(0, Var[w_l] k):
    /// given k_{l-1}, the n_l potentials are iid, so the mean of h^2 over the layer, given how many of them spiked,
    /// is k_l/n_l A + (1 - k_l/n_l) B exactly. The per-item weight gradient's entries delta_i s_j average to
    /// mean_i delta_i^2 x k_{l-1} / n_{l-1}, so its ratio carries E[(k_{l-1} / n_{l-1}) V_l(k_{l-1})] in place of
    /// E[V_l(k_{l-1})]. Counts whose probability is below `negligible` are left out.
    /// Bernoulli input only (an analog input has no count). Cost: about sum_l (support of k_{l-1}) x n_l terms and
    /// two quadratures per distinct (Var[w_l], k).
    public static func finiteWidthFirstStep(_ network: Network, surrogate: Surrogate, negligible: Double = 1e-18)
        throws -> FiniteWidthGradient
    {
        guard case let .bernoulli(rate) = network.input else {
            throw ModelError.invalid(parameter: "input", value: network.input.description,
                                     allowed: "bernoulli:P for the finite-width gradient correction (it follows the "
                                         + "count of active inputs)")
        }
        let architecture = network.architecture, depth = architecture.depth
        let theta = network.neuron.threshold
        let variances = try network.weightVariances()
        // laws[l - 1]: the law of k_{l-1}, l = 1...L.
        var laws = [FiniteWidthChain.binomialDistribution(trials: architecture.fanIn(layer: 1), p: rate, q: 1 - rate)]
        for l in 1..<depth {
            laws.append(FiniteWidthChain.step(from: laws[l - 1], weightVariance: variances[l - 1], threshold: theta,
                                              toWidth: architecture.width(layer: l), negligible: 1e-300))
        }
        var cache: [Double: (above: Double, below: Double)] = [:]
        func moments(_ variance: Double) throws -> (above: Double, below: Double) {
            if let m = cache[variance] { return m }
            let m = try conditionalSquares(surrogate, variance: variance, threshold: theta)
            cache[variance] = m
            return m
        }
        func support(_ law: ActiveCountDistribution) -> [Int] {
            law.probabilities.indices.filter { law.probabilities[$0] >= negligible }
        }
        // Values V_l(k) on the support of k_{l-1}, from l = L down.
        var next: [Int: Double] = [:]
        var expected = [Double](repeating: 0, count: depth), expectedWeight = [Double](repeating: 0, count: depth)
        for l in stride(from: depth, through: 1, by: -1) {
            let n = architecture.width(layer: l), v = variances[l - 1]
            var current: [Int: Double] = [:]
            for k in support(laws[l - 1]) {
                let (p, q) = k == 0 ? (0.0, 1.0)
                    : FiniteWidthChain.spikeProbabilities(activeInputs: k, weightVariance: v, threshold: theta)
                let (above, below) = try moments(v * Double(k))
                let a = p > 0 ? above / p : 0, b = q > 0 ? below / q : 0
                if l == depth {
                    current[k] = above + below
                    continue
                }
                let row = FiniteWidthChain.transitionRow(activeInputs: k, weightVariance: v, threshold: theta,
                                                         width: n, negligible: negligible * 1e-6)
                var spiking = 0.0, silent = 0.0
                for (kNext, w) in row.enumerated() where w > 0 {
                    guard let value = next[kNext] else { continue }
                    let f = Double(kNext) / Double(n)
                    spiking += w * f * value
                    silent += w * (1 - f) * value
                }
                current[k] = a * spiking + b * silent
            }
            expected[l - 1] = current.reduce(0) { $0 + laws[l - 1].probabilities[$1.key] * $1.value }
            let fanIn = Double(architecture.fanIn(layer: l))
            expectedWeight[l - 1] = current.reduce(0) {
                $0 + laws[l - 1].probabilities[$1.key] * Double($1.key) / fanIn * $1.value
            }
            next = current
        }
        var logGain = 0.0
        var membrane = [Double](repeating: 0, count: depth), weight = [Double](repeating: 0, count: depth)
        for l in stride(from: depth, through: 1, by: -1) {
            membrane[l - 1] = logGain + log(expected[l - 1]) - log(expected[depth - 1])
            weight[l - 1] = logGain + log(expectedWeight[l - 1]) - log(expectedWeight[depth - 1])
            logGain += log(Double(architecture.width(layer: l)) * variances[l - 1])
        }
        return FiniteWidthGradient(logMembraneVariance: membrane, logWeightVariance: weight)
    }

    /// E[h(u - theta)^2; u > theta] and E[h(u - theta)^2; u <= theta] for u ~ N(0, variance) (joint, not
    /// conditional), by GSL quadrature in y = u / sd over [-40, 40] split at theta / sd and one unit either side;
    /// variance 0 is the point u = 0.
    static func conditionalSquares(_ h: Surrogate, variance: Double, threshold theta: Double) throws
        -> (above: Double, below: Double)
    {
        guard variance > 0 else { return (0, h.derivative(-theta) * h.derivative(-theta)) }
        let sd = variance.squareRoot(), y0 = theta / sd
        let integrand: (Double) -> Double = { y in
            let g = h.derivative(sd * y - theta)
            return StandardNormal.density(y) * g * g
        }
        func piece(_ a: Double, _ b: Double) throws -> Double {
            let lo = max(a, -40.0), hi = min(b, 40.0)
            guard lo < hi else { return 0 }
            return try GSL.integrate(from: lo, to: hi, absoluteTolerance: 1e-300, relativeTolerance: 1e-10,
                                     integrand).value
        }
        let above = try piece(y0, y0 + 1) + piece(y0 + 1, 40)
        let below = try piece(y0 - 1, y0) + piece(-40, y0 - 1)
        return (above, below)
    }
}
