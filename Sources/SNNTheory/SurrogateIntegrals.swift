import Foundation
import SNNModel

/// Gaussian expectations of a surrogate gradient h (THEORY.md section 7): for a membrane potential u ~ N(mu, sigma^2)
/// and threshold theta, X = u - theta ~ N(m, sigma^2) with m = mu - theta (the `offset`), E[h(X)] and E[h(X)^2].
///
/// Closed forms (`closedFormExpectation`, `closedFormSecondMoment`) for straight_through, triangular, rect,
/// piecewise_quadratic, spike_rate_escape and gaussian; none for atan, fast_sigmoid and sigmoid, which `expectation`
/// and `secondMoment` then integrate. Every family also by GSL adaptive quadrature (`...ByQuadrature`), with its
/// error bound, as an independent cross-check.
///
/// Accuracy: 1e-12 relative wherever the value exceeds 1e-300, closed form and quadrature alike; against a 45-digit
/// mpmath table (every family, two scales, sigma from 0.1 to 3, |m| / sigma to 30) the largest error measured is
/// 9.6e-14 for the closed forms and 6.7e-14 for quadrature, of which the table's decimal inputs (rounded to Doubles)
/// alone explain up to 1e-13 at |m| / sigma = 30. The closed forms are evaluated in logarithms, through the
/// Mills-ratio continued fraction past |z| = 3, so the tails cost about |ln E| ulp. sigma = 0 is the deterministic
/// potential: E[h] = h(m), E[h^2] = h(m)^2.
public enum SurrogateIntegrals {
    /// E[h(X)], X ~ N(m, sigma^2): the closed form where there is one, else quadrature.
    public static func expectation(_ h: Surrogate, offset m: Double, standardDeviation sigma: Double) throws -> Double {
        if let v = closedFormExpectation(h, offset: m, standardDeviation: sigma) { return v }
        return try expectationByQuadrature(h, offset: m, standardDeviation: sigma).value
    }

    /// E[h(X)^2], X ~ N(m, sigma^2): the closed form where there is one, else quadrature.
    public static func secondMoment(_ h: Surrogate, offset m: Double, standardDeviation sigma: Double) throws -> Double {
        if let v = closedFormSecondMoment(h, offset: m, standardDeviation: sigma) { return v }
        return try secondMomentByQuadrature(h, offset: m, standardDeviation: sigma).value
    }

    /// E[h(X)] in closed form, or nil for atan, fast_sigmoid and sigmoid (when sigma > 0):
    /// - straight_through: 1; triangular (c for x < 0, -c for x >= 0): -c erf(m / (sigma sqrt 2)).
    /// - rect (alpha on |x| < w = 0.5 / alpha): alpha P(|X| < w).
    /// - piecewise_quadratic (alpha^2 (w - |x|)_+, w = 1 / alpha): alpha^2 sigma (R1(z - d) - 2 R1(z) + R1(z + d)),
    ///   z = |m| / sigma, d = w / sigma, R1(z) = E[(Z - z)_+] = phi(z) - z Q(z); for a support narrow against sigma
    ///   (d < 1/2, z <= 8), where that second difference cancels, its Hermite series (`logNarrowTriangleMoment`).
    /// - spike_rate_escape (k e^(-beta |x - 1|)): k e^(beta^2 sigma^2 / 2) (e^(-beta m') Q(beta sigma - m' / sigma)
    ///   + e^(beta m') Q(beta sigma + m' / sigma)), m' = m - 1.
    /// - gaussian (std a): exp(-m^2 / (2 (a^2 + sigma^2))) / sqrt(2 pi (a^2 + sigma^2)).
    /// Every form is multiplied by the surrogate's amplitude.
    public static func closedFormExpectation(_ h: Surrogate, offset m: Double, standardDeviation sigma: Double)
        -> Double?
    {
        checkArguments(m, sigma)
        if sigma == 0 { return h.derivative(m) }
        switch h.kind {
        case .straightThrough: return h.amplitude
        case .triangular: return -h.amplitude * h.scale * GSL.erf(m / sigma / 2.0.squareRoot())
        default:
            guard let l = logClosedForm(h.kind, scale: h.scale, power: 1, offset: m, standardDeviation: sigma)
            else { return nil }
            return h.amplitude * exp(l)
        }
    }

    /// E[h(X)^2] in closed form, or nil for atan, fast_sigmoid and sigmoid (when sigma > 0): straight_through 1,
    /// triangular c^2; rect alpha^2 P(|X| < w); piecewise_quadratic alpha^4 sigma^2 (R2(z - d) - 4 d R1(z)
    /// - R2(z + d)), R2(z) = E[(Z - z)_+^2] = (1 + z^2) Q(z) - z phi(z), or the Hermite series for d < 1/2, z <= 8;
    /// spike_rate_escape the form above with 2 beta
    /// and k^2; gaussian exp(-m^2 / (a^2 + 2 sigma^2)) / (2 pi a sqrt(a^2 + 2 sigma^2)).
    public static func closedFormSecondMoment(_ h: Surrogate, offset m: Double, standardDeviation sigma: Double)
        -> Double?
    {
        checkArguments(m, sigma)
        if sigma == 0 {
            let v = h.derivative(m)
            return v * v
        }
        let k2 = h.amplitude * h.amplitude
        switch h.kind {
        case .straightThrough: return k2
        case .triangular: return k2 * h.scale * h.scale
        default:
            guard let l = logClosedForm(h.kind, scale: h.scale, power: 2, offset: m, standardDeviation: sigma)
            else { return nil }
            return k2 * exp(l)
        }
    }

    /// E[h(X)] by quadrature with GSL's error bound. Positive surrogates: the scaled quadrature of
    /// `momentByQuadrature` (relative tolerance 1e-13). triangular: -c sign(m) P(|X - m| < |m|) (since
    /// P(X < 0) - P(X >= 0) is that signed band), integral_-|z|^|z| phi by QAGS; straight_through: the integral of the
    /// normal density.
    public static func expectationByQuadrature(_ h: Surrogate, offset m: Double, standardDeviation sigma: Double)
        throws -> IntegralEstimate
    {
        try momentByQuadrature(h, power: 1, offset: m, standardDeviation: sigma)
    }

    /// E[h(X)^2] by quadrature with GSL's error bound (see `expectationByQuadrature`).
    public static func secondMomentByQuadrature(_ h: Surrogate, offset m: Double, standardDeviation sigma: Double)
        throws -> IntegralEstimate
    {
        try momentByQuadrature(h, power: 2, offset: m, standardDeviation: sigma)
    }

    private static func momentByQuadrature(_ h: Surrogate, power: Int, offset m: Double,
                                           standardDeviation sigma: Double) throws -> IntegralEstimate {
        checkArguments(m, sigma)
        let factor = power == 1 ? h.amplitude : h.amplitude * h.amplitude
        if sigma == 0 {
            let v = h.derivative(m)
            return IntegralEstimate(value: power == 1 ? v : v * v, absoluteError: 0)
        }
        // A potential whose spread is tiny against the surrogate's own width (a silent layer's, for instance): h is
        // smooth there, so E[h(X)^p] = h(m)^p (1 + O(sigma^2 / width^2)), relative error below 1e-16 at this cut,
        // where the quadrature's landmarks would be too close together to resolve.
        let width: Double? = switch h.kind {
        case .atan: 2 / (Double.pi * h.scale)
        case .fastSigmoid, .sigmoid: 1 / h.scale
        default: nil
        }
        if let width, sigma < 1e-9 * width, h.kind != .fastSigmoid || abs(m) > 1e3 * sigma {
            let v = h.derivative(m)
            return IntegralEstimate(value: power == 1 ? v : v * v, absoluteError: 0)
        }
        switch h.kind {
        case .straightThrough, .triangular:
            if h.kind == .triangular && power == 1 {
                let z = abs(m / sigma)
                let band = try GSL.integrate(from: -z, to: z) { StandardNormal.density($0) }
                let c = -(m > 0 ? 1.0 : -1.0) * factor * h.scale
                return IntegralEstimate(value: c * band.value, absoluteError: abs(c) * band.absoluteError)
            }
            let c = h.kind == .triangular ? factor * h.scale * h.scale : factor
            let below = try GSL.integrateFromMinusInfinity(to: 0) { StandardNormal.density($0) }
            let above = try GSL.integrateToInfinity(from: 0) { StandardNormal.density($0) }
            return IntegralEstimate(value: c * (below.value + above.value),
                                    absoluteError: c * (below.absoluteError + above.absoluteError))
        default:
            let integral = try momentByQuadrature(SurrogateShape(h), power: Double(power), offset: m,
                                                  standardDeviation: sigma).estimate
            return IntegralEstimate(value: factor * integral.value, absoluteError: factor * integral.absoluteError)
        }
    }

    static func checkArguments(_ m: Double, _ sigma: Double) {
        precondition(m.isFinite && sigma.isFinite && sigma >= 0, "surrogate integrals need a finite m and sigma >= 0")
    }

    /// log E[g(X)^power] for the positive shapes with a closed form (nil for the others), sigma > 0, g = h / amplitude.
    static func logClosedForm(_ kind: Surrogate.Kind, scale a: Double, power: Int, offset m: Double,
                              standardDeviation sigma: Double) -> Double? {
        let p = Double(power)
        switch kind {
        case .rectangular:
            let w = 0.5 / a
            return p * log(a) + logNormalInterval((-w - m) / sigma, (w - m) / sigma)
        case .piecewiseQuadratic:
            // The triangle is symmetric, so m and -m give the same moment; |m| keeps every argument's tail on the
            // side where R1 and R2 do not cancel their linear parts.
            let z = abs(m) / sigma, d = 1 / (a * sigma)
            if d < narrowTriangle && z <= narrowTriangleMean {
                return 2 * p * log(a) + p * log(sigma) + logNarrowTriangleMoment(power: power, mean: z, halfWidth: d)
            }
            if power == 1 {
                let terms = [logRamp1(z - d), logRamp1(z), logRamp1(z + d)]
                let combination = 1 - 2 * exp(terms[1] - terms[0]) + exp(terms[2] - terms[0])
                return 2 * log(a) + log(sigma) + terms[0] + log(combination)
            }
            let terms = [logRamp2(z - d), log(4 * d) + logRamp1(z), logRamp2(z + d)]
            let combination = 1 - exp(terms[1] - terms[0]) - exp(terms[2] - terms[0])
            return 4 * log(a) + 2 * log(sigma) + terms[0] + log(combination)
        case .spikeRateEscape:
            return logLaplaceGaussian(rate: p * a, mean: m - 1, standardDeviation: sigma)
        case .gaussian:
            if power == 1 {
                let v = a * a + sigma * sigma
                return -m * m / (2 * v) - 0.5 * log(2 * Double.pi * v)
            }
            let v = a * a + 2 * sigma * sigma
            return -m * m / v - log(2 * Double.pi * a) - 0.5 * log(v)
        case .atan, .fastSigmoid, .sigmoid, .triangular, .straightThrough:
            return nil
        }
    }

    /// log P(zl < Z < zu), zl < zu (either may be infinite), without cancellation: as a difference of upper tails
    /// (through expm1 of their log ratio) when the band lies on one side of 0, as a sum of erfs when it straddles 0.
    static func logNormalInterval(_ zl: Double, _ zu: Double) -> Double {
        if zl >= 0 { return logTailDifference(zl, zu) }
        if zu <= 0 { return logTailDifference(-zu, -zl) }
        let r = 2.0.squareRoot()
        let upper = zu == .infinity ? 1 : GSL.erf(zu / r), lower = zl == -.infinity ? 1 : GSL.erf(-zl / r)
        return log(0.5 * (upper + lower))
    }

    /// log(Q(a) - Q(b)) for 0 <= a < b.
    private static func logTailDifference(_ a: Double, _ b: Double) -> Double {
        let la = StandardNormal.logTail(a)
        return la + log(-expm1(StandardNormal.logTail(b) - la))
    }

    /// log R1(z), R1(z) = E[(Z - z)_+] = phi(z) - z Q(z) = phi(z) T_1 / (z + T_1) past z = 3 (T_1 the Mills
    /// continued fraction), where the difference would cancel.
    static func logRamp1(_ z: Double) -> Double {
        if z > StandardNormal.millsCrossover {
            let t1 = StandardNormal.millsContinuedFraction(from: 1, z)
            return StandardNormal.logDensity(z) + log(t1 / (z + t1))
        }
        return log(StandardNormal.density(z) - z * StandardNormal.tail(z))
    }

    /// log R2(z), R2(z) = E[(Z - z)_+^2] = (1 + z^2) Q(z) - z phi(z) = Q(z) T_1 T_2 past z = 3
    /// (E[(Z - z)^2 | Z > z] = 1 - z T_1 = T_1 T_2).
    static func logRamp2(_ z: Double) -> Double {
        if z > StandardNormal.millsCrossover {
            let t2 = StandardNormal.millsContinuedFraction(from: 2, z), t1 = 1 / (z + t2)
            return StandardNormal.logDensity(z) - log(z + t1) + log(t1 * t2)
        }
        return log((1 + z * z) * StandardNormal.tail(z) - z * StandardNormal.density(z))
    }

    /// Below this half-width of the triangle in units of sigma (and for a mean within `narrowTriangleMean`
    /// deviations of it), the differences of R1 and R2 cancel (they lose about 1 / d^2 and 1 / d^3 ulp) and the
    /// Hermite series of `logNarrowTriangleMoment` takes over. Past that mean the differences lose about
    /// 1 / (z d)^2 ulp, at most 1 / (8 d)^2.
    static let narrowTriangle = 0.5
    static let narrowTriangleMean = 8.0

    /// log integral_-d^d (d - |t|)^p phi(t - mu) dt for p = 1, 2, d < 1/2 and |mu| <= 8: expanding
    /// phi(mu - t) = phi(mu) sum_n He_n(mu) t^n / n! (the Hermite generating function), the odd terms vanish and
    /// integral_-d^d (d - |t|)^p t^(2j) dt = 2 p! (2j)! d^(p + 2j + 1) / (p + 2j + 1)!, so the moment is
    /// 2 p! phi(mu) d^(p+1) sum_j He_2j(mu) d^(2j) / (p + 2j + 1)!. He_2j(mu) may vanish at single j, so the sum
    /// stops on Cramer's bound |He_n(mu)| <= 1.0865 sqrt(n!) e^(mu^2 / 4) instead of on a small term: once the
    /// bound on term j is below 1e-17 of the sum, the terms after it (which shrink by at least d^2 per step) are too.
    /// Within those ranges the terms never exceed the sum by more than e^(mu^2 / 4) d^2, so few ulp are lost.
    static func logNarrowTriangleMoment(power p: Int, mean mu: Double, halfWidth d: Double) -> Double {
        precondition(d < narrowTriangle && abs(mu) <= narrowTriangleMean)
        // He_0 = 1, He_1 = mu, He_(n+1) = mu He_n - n He_(n-1); term j carries d^(2j) / (p + 2j + 1)!.
        var heOddPrevious = mu, heEvenPrevious = 1.0
        var dPower = 1.0, factorial = (1...(p + 1)).reduce(1.0) { $0 * Double($1) }
        var sum = 1 / factorial
        let envelope = 1.0865 * exp(mu * mu / 4)
        for j in 1...80 {
            let n = 2 * j
            let heEven = mu * heOddPrevious - Double(n - 1) * heEvenPrevious
            heOddPrevious = mu * heEven - Double(n) * heOddPrevious
            heEvenPrevious = heEven
            dPower *= d * d
            factorial *= Double(p + n) * Double(p + n + 1)
            sum += heEven * dPower / factorial
            if envelope * exp(0.5 * lgamma(Double(n + 1))) * dPower / factorial < 1e-17 * abs(sum) { break }
        }
        let pFactorial = p == 1 ? 1.0 : 2.0
        return log(2 * pFactorial) + Double(p + 1) * log(d) + StandardNormal.logDensity(mu) + log(sum)
    }

    /// log E[exp(-beta |Y|)], Y ~ N(mu, s^2): the sum of e^(beta^2 s^2 / 2 -+ beta mu) Q(beta s -+ mu / s). Past
    /// z = 3 a term is phi(mu / s) / (z + c(z)) exactly (the exponents cancel algebraically), so nothing overflows
    /// and nothing cancels.
    static func logLaplaceGaussian(rate beta: Double, mean mu: Double, standardDeviation s: Double) -> Double {
        func term(_ sign: Double) -> Double {
            let z = beta * s - sign * mu / s
            if z > StandardNormal.millsCrossover {
                return StandardNormal.logDensity(mu / s) - log(z + StandardNormal.hazardExcess(z))
            }
            return beta * beta * s * s / 2 - sign * beta * mu + StandardNormal.logTail(z)
        }
        let a = term(1), b = term(-1)
        let hi = max(a, b)
        return hi + log1p(exp(min(a, b) - hi))
    }
}
