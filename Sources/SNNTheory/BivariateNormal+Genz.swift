import Foundation

extension BivariateNormal {
    /// P(X > a, Y > b; rho) by Genz's method (A. Genz, "Numerical computation of rectangular bivariate and trivariate
    /// normal and t probabilities", Statistics and Computing 14, 2004; Drezner and Wesolowsky's formula): for
    /// |rho| < 0.925, Plackett's integral over theta = arcsin(r) by 6-, 12- or 20-point Gauss-Legendre; above it, the
    /// integral of the conditional law near rho = +-1 with its leading terms taken in closed form. About 1e-15
    /// absolute (not relative: values far below 1e-15 lose their digits), at a fixed cost of a few dozen exponentials,
    /// which is what the neuron-pair covariances of THEORY.md section 9.4 need by the million. `upperOrthant` is the
    /// accurate reference it is tested against.
    public static func upperOrthantFast(_ a: Double, _ b: Double, correlation rho: Double) -> Double {
        if a == .infinity || b == .infinity { return 0 }
        if a == -.infinity { return b == -.infinity ? 1 : StandardNormal.tail(b) }
        if b == -.infinity { return StandardNormal.tail(a) }
        if rho >= 1 { return StandardNormal.tail(max(a, b)) }
        if rho <= -1 { return max(0, StandardNormal.tail(a) - StandardNormal.tail(-b)) }
        let qa = StandardNormal.tail(a), qb = StandardNormal.tail(b)
        return min(1, max(0, qa * qb + orthantExcess(a, b, correlation: rho, tails: (qa, qb))))
    }

    /// P(X > a, Y > b; rho) - Q(a) Q(b) (the covariance of the two indicators) by the same method, for finite a, b
    /// and |rho| < 1, given `tails` = (Q(a), Q(b)). Below |rho| = 0.925 it is Plackett's integral alone, so nothing
    /// cancels.
    static func orthantExcess(_ a: Double, _ b: Double, correlation rho: Double,
                              tails: (Double, Double)) -> Double {
        if rho == 0 { return 0 }
        let (weights, nodes): ([Double], [Double])
        if abs(rho) < 0.3 {
            (weights, nodes) = (Genz.w6, Genz.x6)
        } else if abs(rho) < 0.75 {
            (weights, nodes) = (Genz.w12, Genz.x12)
        } else {
            (weights, nodes) = (Genz.w20, Genz.x20)
        }
        let twoPi = 2 * Double.pi
        let h = a
        var k = b, hk = a * b, value = 0.0
        if abs(rho) < 0.925 {
            let hs = (h * h + k * k) / 2, asr = asin(rho) / 2
            for i in weights.indices {
                let below = sin(asr * (1 - nodes[i])), above = sin(asr * (1 + nodes[i]))
                value += weights[i] * (exp((below * hk - hs) / (1 - below * below))
                                       + exp((above * hk - hs) / (1 - above * above)))
            }
            return value * asr / twoPi
        }
        if rho < 0 {
            k = -k
            hk = -hk
        }
        // Genz's BVNU (tvpack) near |rho| = 1: the integral in x = sqrt(1 - r^2), its series' leading terms
        // (c = (4 - hk) / 8, d = (12 - hk) / 16) in closed form, the rest by Gauss-Legendre.
        let oneMinus = (1 - rho) * (1 + rho)
        var s = oneMinus.squareRoot()
        let bs = (h - k) * (h - k)
        let c = (4 - hk) / 8, d = (12 - hk) / 16
        value = s * exp(-(bs / oneMinus + hk) / 2)
            * (1 - c * (bs - oneMinus) * (1 - d * bs / 5) / 3 + c * d * oneMinus * oneMinus / 5)
        if hk > -160 {
            let root = bs.squareRoot()
            value -= exp(-hk / 2) * twoPi.squareRoot() * StandardNormal.tail(root / s) * root
                * (1 - c * bs * (1 - d * bs / 5) / 3)
        }
        s /= 2
        for i in weights.indices {
            for t in 0..<2 {
                let point = s * (t == 0 ? 1 - nodes[i] : 1 + nodes[i])
                let xs = point * point
                let rs = (1 - xs).squareRoot()
                value += s * weights[i] * exp(-(bs / xs + hk) / 2)
                    * (exp(-hk * (1 - rs) / (2 * (1 + rs))) / rs - (1 + c * xs * (1 + d * xs)))
            }
        }
        value = -value / twoPi
        // Q(max(a, b)) = min(Q(a), Q(b)); for rho < 0, k = -b and Q(a) - Q(-b) = Q(a) + Q(b) - 1.
        if rho > 0 {
            value += min(tails.0, tails.1)
        } else {
            value = -value + max(0, tails.0 + tails.1 - 1)
        }
        return min(1, max(0, value)) - tails.0 * tails.1
    }

    /// Gauss-Legendre half-sets (nodes x in (0, 1) and their weights; the rule uses 1 -+ x on [0, 2]).
    private enum Genz {
        static let w6 = [0.1713244923791705, 0.3607615730481384, 0.4679139345726904]
        static let x6 = [0.9324695142031522, 0.6612093864662647, 0.2386191860831970]
        static let w12 = [0.04717533638651177, 0.1069393259953183, 0.1600783285433464, 0.2031674267230659,
                          0.2334925365383547, 0.2491470458134029]
        static let x12 = [0.9815606342467191, 0.9041172563704750, 0.7699026741943050, 0.5873179542866171,
                          0.3678314989981802, 0.1252334085114692]
        static let w20 = [0.01761400713915212, 0.04060142980038694, 0.06267204833410906, 0.08327674157670475,
                          0.1019301198172404, 0.1181945319615184, 0.1316886384491766, 0.1420961093183821,
                          0.1491729864726037, 0.1527533871307259]
        static let x20 = [0.9931285991850949, 0.9639719272779138, 0.9122344282513259, 0.8391169718222188,
                          0.7463319064601508, 0.6360536807265150, 0.5108670019508271, 0.3737060887154196,
                          0.2277858511416451, 0.07652652113349733]
    }
}
