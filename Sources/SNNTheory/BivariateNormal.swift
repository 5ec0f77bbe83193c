import Foundation

/// Joint spike probability of two correlated potentials: P(X > a, Y > b) for standard normals X, Y with
/// correlation rho. With a = theta / sigma_1, b = theta / sigma_2 this is E[s s'] of THEORY.md section 2.
///
/// GSL has no bivariate normal distribution function, so two independent integral representations are offered:
/// - `upperOrthant` (primary): conditioning on X, P = integral_a^inf phi(x) Q((b - rho x) / sqrt(1 - rho^2)) dx.
///   Its integrand is positive, so nothing cancels, and phi(a) is factored out for a > 0: accurate in the far tails
///   and for rho near -1, where the result can be many orders below Q(a) Q(b). Relative accuracy about 1e-13.
/// - `upperOrthantByCorrelation` (cross-check): Plackett's identity, Q(a) Q(b) + integral_0^rho phi_2(a, b; r) dr.
///   It cancels when the result is much smaller than Q(a) Q(b) and is meant for checking, not for production.
public enum BivariateNormal {
    /// P(X > a, Y > b; rho) for |rho| <= 1, a and b any Doubles (+-inf allowed).
    public static func upperOrthant(_ a: Double, _ b: Double, correlation rho: Double) throws -> IntegralEstimate {
        precondition(rho >= -1 && rho <= 1, "correlation must be in [-1, 1]")
        if a == .infinity || b == .infinity { return IntegralEstimate(value: 0, absoluteError: 0) }
        if a == -.infinity { return exact(StandardNormal.tail(b)) }
        if b == -.infinity { return exact(StandardNormal.tail(a)) }
        if rho == 1 { return exact(StandardNormal.tail(max(a, b))) }
        if rho == -1 { return exact(max(0, StandardNormal.tail(a) - StandardNormal.tail(-b))) }
        if rho == 0 { return exact(StandardNormal.tail(a) * StandardNormal.tail(b)) }
        // Integrate over the variable with the higher threshold: its density carries the result's scale.
        let (hi, lo) = a >= b ? (a, b) : (b, a)
        let s = ((1 - rho) * (1 + rho)).squareRoot()  // not 1 - rho^2, which cancels near |rho| = 1
        let scaled = hi > 0
        let result = try GSL.integrateToInfinity(from: 0) { t in
            let x = hi + t
            let weight = scaled ? exp(-hi * t - 0.5 * t * t) : StandardNormal.density(x)
            return weight == 0 ? 0 : weight * StandardNormal.tail((lo - rho * x) / s)
        }
        let scale = scaled ? StandardNormal.density(hi) : 1
        return IntegralEstimate(value: result.value * scale, absoluteError: result.absoluteError * scale)
    }

    /// Plackett's identity, Q(a) Q(b) + integral_0^rho exp(-(a^2 - 2 r a b + b^2) / (2 (1 - r^2))) / (2 pi sqrt(1 - r^2)) dr,
    /// for finite a, b and |rho| < 1. The reported error is the quadrature's.
    public static func upperOrthantByCorrelation(_ a: Double, _ b: Double, correlation rho: Double) throws
        -> IntegralEstimate
    {
        precondition(rho > -1 && rho < 1 && a.isFinite && b.isFinite)
        let base = StandardNormal.tail(a) * StandardNormal.tail(b)
        if rho == 0 { return exact(base) }
        let integral = try GSL.integrate(from: 0, to: rho, absoluteTolerance: 1e-300) { r in
            let oneMinus = (1 - r) * (1 + r)
            return exp(-(a * a - 2 * r * a * b + b * b) / (2 * oneMinus)) / (2 * Double.pi * oneMinus.squareRoot())
        }
        return IntegralEstimate(value: base + integral.value, absoluteError: integral.absoluteError)
    }

    private static func exact(_ v: Double) -> IntegralEstimate { IntegralEstimate(value: v, absoluteError: 0) }
}
