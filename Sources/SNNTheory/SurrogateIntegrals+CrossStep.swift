import Foundation
import SNNModel

/// The cross-step expectation the multi-step gradient recursion needs (THEORY.md section 7): E[h(X_s) h(X_t)] for
/// X_s = u_s - theta and X_t = u_t - theta jointly Gaussian, means m_s and m_t, standard deviations sigma_s and
/// sigma_t, correlation rho.
extension SurrogateIntegrals {
    /// E[h(X_s) h(X_t)] with an error bound.
    ///
    /// - Positive surrogates: conditioning on X_s, X_t | X_s = x ~ N(m_t + rho sigma_t (x - m_s) / sigma_s,
    ///   sigma_t^2 (1 - rho^2)), so the value is the 1-D integral of h(x) N(x; m_s, sigma_s^2) E[h(X_t) | x]: the inner
    ///   expectation in closed form (rect, piecewise_quadratic, spike_rate_escape, gaussian) or by quadrature (atan,
    ///   fast_sigmoid, sigmoid), in logarithms, the outer one by the scaled quadrature of `scaledIntegral`, cut also
    ///   where the conditional mean crosses h's landmarks. |rho| = 1 makes X_t a function of X_s. The error adds
    ///   GSL's outer bound and the largest relative inner bound times the value.
    /// - triangular: c^2 (P(same sign) - P(opposite signs)), four bivariate normal orthants (`BivariateNormal`); a
    ///   difference, so its relative error grows as the value nears 0.
    /// - straight_through: the amplitude squared. A zero deviation makes that step deterministic.
    ///
    /// Accuracy: 1e-12 relative where the value exceeds about 1e-290 (triangular: 1e-12 of max(value, c^2)); against a
    /// high-precision mpmath table (every family; correlations from -1 to 1, means to 10 deviations) the largest error
    /// measured is 5.0e-15.
    public static func crossMoment(_ h: Surrogate, offset ms: Double, standardDeviation ss: Double,
                                   laterOffset mt: Double, laterStandardDeviation st: Double,
                                   correlation rho: Double) throws -> IntegralEstimate {
        checkArguments(ms, ss)
        checkArguments(mt, st)
        precondition(rho >= -1 && rho <= 1, "correlation must be in [-1, 1]")
        if h.kind == .straightThrough { return IntegralEstimate(value: h.amplitude * h.amplitude, absoluteError: 0) }
        if ss == 0 || st == 0 {
            let (fixed, other, otherSigma) = ss == 0 ? (ms, mt, st) : (mt, ms, ss)
            let e = try expectationByQuadratureOrClosedForm(h, offset: other, standardDeviation: otherSigma)
            let f = h.derivative(fixed)
            return IntegralEstimate(value: f * e.value, absoluteError: abs(f) * e.absoluteError)
        }
        if h.kind == .triangular {
            return try triangularCrossMoment(h, zs: ms / ss, zt: mt / st, correlation: rho)
        }
        let g = SurrogateShape(h)
        let conditionalSigma = st * ((1 - rho) * (1 + rho)).squareRoot()
        let slope = rho * st / ss
        var innerFailure: Error?
        var innerRelativeError = 0.0
        let logInnerAt = { (x: Double) -> Double in
            let mean = mt + slope * (x - ms)
            if conditionalSigma == 0 { return g.logValue(mean) }
            if let l = logClosedForm(h.kind, scale: h.scale, power: 1, offset: mean,
                                     standardDeviation: conditionalSigma) { return l }
            do {
                let inner = try momentByQuadrature(g, power: 1, offset: mean, standardDeviation: conditionalSigma)
                if inner.value > 0 { innerRelativeError = max(innerRelativeError, inner.absoluteError / inner.value) }
                return inner.log
            } catch {
                innerFailure = innerFailure ?? error
                return -.infinity
            }
        }
        // Independent steps need the inner expectation once.
        let independent = rho == 0 ? logInnerAt(ms) : nil
        let logInner = { (x: Double) -> Double in independent ?? logInnerAt(x) }
        // Where the conditional mean of X_t crosses h's landmarks, and its conditional spread around them.
        var mapped: [Double] = []
        if rho != 0 {
            let spread = (conditionalSigma + g.width) / abs(slope)
            let (lower, upper) = g.support
            for y in [g.centre, g.centre - g.width, g.centre + g.width] + g.kinks + [lower, upper] where y.isFinite {
                let x = ms + (y - mt) / slope
                mapped += [0, -1, 1, -4, 4, -16, 16].map { x + spread * $0 }
            }
        }
        let anchors = [ms, g.centre] + (rho != 0 ? [ms + (g.centre - mt) / slope] : [])
        let (lo, hi) = (anchors.min()!, anchors.max()!)
        let between = (0...64).map { lo + (hi - lo) * Double($0) / 64 }
        let (lower, upper) = g.support
        let outer = try scaledIntegral(lower: lower, upper: upper,
                                       breakpoints: g.landmarks + gaussianLandmarks(mean: ms, standardDeviation: ss)
                                           + mapped,
                                       candidates: between) { x in
            let lg = g.logValue(x)
            if lg == -.infinity { return lg }
            return lg + logNormalDensity(x, mean: ms, standardDeviation: ss) + logInner(x)
        }
        if let innerFailure { throw innerFailure }
        let k2 = h.amplitude * h.amplitude
        let estimate = outer.estimate
        let value = k2 * estimate.value
        return IntegralEstimate(value: value, absoluteError: k2 * estimate.absoluteError + innerRelativeError * value)
    }

    /// E[h(X_s) h(X_t)] in closed form, or nil: straight_through (k^2); gaussian (std a), the bivariate normal density
    /// of (X_s, X_t) + a (Z_1, Z_2) at the origin, k^2 exp(-q / 2) / (2 pi sqrt(det)) with det = (1 - rho^2)
    /// sigma_s^2 sigma_t^2 + a^2 (sigma_s^2 + sigma_t^2) + a^4 and q det = (sigma_t m_s - rho sigma_s m_t)^2
    /// + (1 - rho^2) sigma_s^2 m_t^2 + a^2 (m_s^2 + m_t^2), both sums of positive terms.
    public static func closedFormCrossMoment(_ h: Surrogate, offset ms: Double, standardDeviation ss: Double,
                                             laterOffset mt: Double, laterStandardDeviation st: Double,
                                             correlation rho: Double) -> Double? {
        checkArguments(ms, ss)
        checkArguments(mt, st)
        precondition(rho >= -1 && rho <= 1, "correlation must be in [-1, 1]")
        let k2 = h.amplitude * h.amplitude
        switch h.kind {
        case .straightThrough:
            return k2
        case .gaussian:
            let a2 = h.scale * h.scale, oneMinus = (1 - rho) * (1 + rho)
            let det = oneMinus * ss * ss * st * st + a2 * (ss * ss + st * st) + a2 * a2
            let r = st * ms - rho * ss * mt
            let q = (r * r + oneMinus * ss * ss * mt * mt + a2 * (ms * ms + mt * mt)) / det
            return k2 * exp(-0.5 * q) / (2 * Double.pi * det.squareRoot())
        default:
            return nil
        }
    }

    private static func expectationByQuadratureOrClosedForm(_ h: Surrogate, offset m: Double,
                                                            standardDeviation sigma: Double) throws
        -> IntegralEstimate
    {
        if let v = closedFormExpectation(h, offset: m, standardDeviation: sigma) {
            return IntegralEstimate(value: v, absoluteError: 0)
        }
        return try expectationByQuadrature(h, offset: m, standardDeviation: sigma)
    }

    /// c^2 E[sign'(X_s) sign'(X_t)] from the orthants: P(X_s > 0, X_t > 0) = P(Z_s > -z_s, Z_t > -z_t; rho) and so on,
    /// z = m / sigma.
    private static func triangularCrossMoment(_ h: Surrogate, zs: Double, zt: Double, correlation rho: Double) throws
        -> IntegralEstimate
    {
        let bothAbove = try BivariateNormal.upperOrthant(-zs, -zt, correlation: rho)
        let bothBelow = try BivariateNormal.upperOrthant(zs, zt, correlation: rho)
        let firstAbove = try BivariateNormal.upperOrthant(-zs, zt, correlation: -rho)
        let secondAbove = try BivariateNormal.upperOrthant(zs, -zt, correlation: -rho)
        let c2 = h.amplitude * h.amplitude * h.scale * h.scale
        let value = (bothAbove.value + bothBelow.value) - (firstAbove.value + secondAbove.value)
        let error = bothAbove.absoluteError + bothBelow.absoluteError + firstAbove.absoluteError
            + secondAbove.absoluteError
        return IntegralEstimate(value: c2 * value, absoluteError: c2 * error)
    }
}
