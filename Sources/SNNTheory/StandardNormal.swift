import Foundation

/// The standard normal density, tail and their ratios, accurate to the far tail.
///
/// All functions take any Double, including +-infinity, and never return NaN for a non-NaN argument.
/// Q(z) = P(Z > z) comes from GSL's `gsl_sf_erfc` for z <= 3 and from phi(z) / (z + c(z)) with the Laplace continued
/// fraction c(z) beyond (a few ulp; GSL's erfc alone drifts to 1e-13 in the far tail). `logTail` uses the same split
/// and stays finite far past the underflow of Q near z = 38.5.
public enum StandardNormal {
    static let logSqrt2Pi = 0.5 * log(2 * Double.pi)

    static let inverseSqrt2Pi = 1 / (2 * Double.pi).squareRoot()

    /// phi(z) = exp(-z^2 / 2) / sqrt(2 pi), to about 2 ulp even in the far tail: z^2 is split exactly into
    /// hi + lo (fused multiply-add), since rounding z^2 alone would cost z^2 ulp in the result.
    public static func density(_ z: Double) -> Double {
        if abs(z) > 39 { return 0 }  // exp(-760) is below the smallest subnormal
        let hi = z * z
        let exactLow = (-hi).addingProduct(z, z)
        return exp(-0.5 * hi) * exp(-0.5 * exactLow) * inverseSqrt2Pi
    }

    /// log phi(z).
    public static func logDensity(_ z: Double) -> Double { -0.5 * z * z - logSqrt2Pi }

    /// Q(z) = P(Z > z).
    public static func tail(_ z: Double) -> Double {
        if z == .infinity { return 0 }
        if z < -39 { return 1 }  // 1 - Q(39) rounds to 1
        // Past z = 3, GSL's erfc drifts to about 1e-13 relative; phi(z) / (z + c(z)) stays within a few ulp.
        if z > millsCrossover { return density(z) / (z + millsContinuedFraction(from: 1, z)) }
        return 0.5 * GSL.erfc(z / 2.0.squareRoot())
    }

    /// log Q(z), finite wherever Q(z) > 0 mathematically (z < infinity).
    public static func logTail(_ z: Double) -> Double {
        if z == .infinity { return -.infinity }
        if z == -.infinity { return 0 }
        if z < 0 { return log1p(-tail(-z)) }  // Q(z) near 1: log1p keeps the tiny gap to 1
        if z <= millsCrossover { return log(tail(z)) }
        if z > 1e150 { return -0.5 * z * z }  // every other term is negligible, and z^2 alone may overflow
        return logDensity(z) - log(z + millsContinuedFraction(from: 1, z))
    }

    /// The z with Q(z) = p, for 0 < p < 1 (GSL's `gsl_cdf_ugaussian_Qinv`).
    public static func inverseTail(_ p: Double) -> Double {
        GSL.normalTailInverse(p)
    }

    /// The hazard (inverse Mills ratio) h(z) = phi(z) / Q(z), the conditional density of a spike at the threshold.
    public static func hazard(_ z: Double) -> Double {
        if z == -.infinity { return 0 }
        if z == .infinity { return .infinity }
        return z > millsCrossover ? z + hazardExcess(z) : exp(logDensity(z) - logTail(z))
    }

    /// c(z) = h(z) - z > 0, computed without cancellation: for z > 3 from the Laplace continued fraction
    /// c(z) = 1 / (z + 2 / (z + 3 / (z + ...))); below, h(z) - z loses at most a factor of about 10.
    /// E[u | u > theta] = theta + sigma c(z) for a Gaussian potential, and c(z) -> 1/z in the tail.
    public static func hazardExcess(_ z: Double) -> Double {
        if z == .infinity { return 0 }
        if z == -.infinity { return .infinity }
        if z > millsCrossover { return millsContinuedFraction(from: 1, z) }
        return exp(logDensity(z) - logTail(z)) - z
    }

    static let millsCrossover = 3.0

    /// T_k(z) = k / (z + (k+1) / (z + (k+2) / (z + ...))), by the modified Lentz algorithm; valid for z > 0,
    /// converging in a few dozen terms for z > 3. T_1(z) = c(z) = h(z) - z, and T_1 = 1 / (z + T_2).
    static func millsContinuedFraction(from k: Int, _ z: Double) -> Double {
        if z == .infinity { return 0 }
        let tiny = 1e-300
        var f = tiny, c = f, d = 0.0
        for j in 0..<10_000 {
            let a = Double(k + j)
            d = z + a * d
            if d == 0 { d = tiny }
            c = z + a / c
            if c == 0 { c = tiny }
            d = 1 / d
            let delta = c * d
            f *= delta
            if abs(delta - 1) < 1e-17 { break }
        }
        return f
    }
}
