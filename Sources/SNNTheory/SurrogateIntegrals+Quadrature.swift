import Foundation
import SNNModel

/// The shape g = h / amplitude of a positive surrogate in the form quadrature needs: log g, its support, kinks, and
/// where and how wide its mass is. triangular (signed) and straight_through (constant) never come here.
struct SurrogateShape {
    let kind: Surrogate.Kind
    let scale: Double

    init(_ h: Surrogate) {
        precondition(h.kind != .triangular && h.kind != .straightThrough, "\(h.kind) has no positive shape")
        kind = h.kind
        scale = h.scale
    }

    /// log g(x); -infinity outside the support. Equal to log of `Surrogate.derivative` / amplitude up to rounding.
    func logValue(_ x: Double) -> Double {
        let a = scale
        switch kind {
        case .atan:
            let y = Double.pi / 2 * a * x
            return log(a / 2) - log1p(y * y)
        case .fastSigmoid:
            return -2 * log1p(a * abs(x))
        case .sigmoid:
            let t = a * abs(x)
            return log(a) - t - 2 * log1p(exp(-t))
        case .spikeRateEscape:
            return -a * abs(x - 1)
        case .rectangular:
            return abs(x) < 0.5 / a ? log(a) : -.infinity
        case .piecewiseQuadratic:
            return abs(x) > 1 / a ? -.infinity : log(a) + log1p(-a * abs(x))
        case .gaussian:
            let r = x / a
            return -0.5 * r * r - log(a * (2 * Double.pi).squareRoot())
        case .triangular, .straightThrough:
            preconditionFailure("\(kind) has no positive shape")
        }
    }

    /// Where g > 0 (its closure).
    var support: (lower: Double, upper: Double) {
        switch kind {
        case .rectangular: (-0.5 / scale, 0.5 / scale)
        case .piecewiseQuadratic: (-1 / scale, 1 / scale)
        default: (-.infinity, .infinity)
        }
    }

    /// Points where g is not smooth inside its support.
    var kinks: [Double] {
        switch kind {
        case .fastSigmoid, .piecewiseQuadratic: [0]
        case .spikeRateEscape: [1]
        default: []
        }
    }

    /// The centre of g's mass and its width.
    var centre: Double { kind == .spikeRateEscape ? 1 : 0 }

    var width: Double {
        switch kind {
        case .atan: 2 / (Double.pi * scale)
        case .rectangular: 0.5 / scale
        case .gaussian: scale
        default: 1 / scale
        }
    }

    /// The centre plus and minus 1, 4, 16 and 64 widths: where g changes on every scale it has.
    var landmarks: [Double] {
        [0, -1, 1, -4, 4, -16, 16, -64, 64].map { centre + width * $0 } + kinks
    }
}

/// The mean plus and minus 1, 3, 8, 20 and 38 standard deviations: beyond 38 the density is below e^-722 of its peak.
func gaussianLandmarks(mean: Double, standardDeviation: Double) -> [Double] {
    [0, -1, 1, -3, 3, -8, 8, -20, 20, -38, 38].map { mean + standardDeviation * $0 }
}

/// log of the N(mean, sd^2) density at x.
func logNormalDensity(_ x: Double, mean: Double, standardDeviation: Double) -> Double {
    let r = (x - mean) / standardDeviation
    return -0.5 * r * r - log(standardDeviation) - StandardNormal.logSqrt2Pi
}

/// A positive integral as e^logScale x (value +- absoluteError): integrals far below the smallest Double keep their
/// digits until the final product.
struct ScaledIntegral {
    var logScale: Double
    var value: Double
    var absoluteError: Double

    var estimate: IntegralEstimate {
        let s = exp(logScale)
        return IntegralEstimate(value: value * s, absoluteError: absoluteError * s)
    }

    var log: Double { logScale + Foundation.log(value) }
}

/// integral over [lower, upper] of exp(logIntegrand(x)) dx for an integrand >= 0, by GSL adaptive quadrature.
///
/// The integrand is divided by exp(L*), L* the largest log-integrand at the breakpoints and `candidates`, so it is of
/// order one where its mass is, whatever the result's size. The interval is cut at the breakpoints (inside the
/// interval) and at the best candidate; finite pieces go to QAGS, infinite ends to QAGIL and QAGIU, each with
/// relative tolerance `relativeTolerance` and an absolute tolerance 1e-16 of the two pieces beside the best candidate
/// (a lower bound of the total), so that far pieces of negligible weight cannot stall. The caller's breakpoints must
/// leave the infinite ends monotone (past every feature of the integrand), since QAGIL and QAGIU may miss a bump far
/// out. Every piece is positive, so the pieces' relative accuracy is the total's.
func scaledIntegral(lower: Double, upper: Double, breakpoints: [Double], candidates: [Double],
                    relativeTolerance: Double = 1e-13,
                    _ logIntegrand: @escaping (Double) -> Double) throws -> ScaledIntegral {
    let inside = { (x: Double) in x > lower && x < upper && x.isFinite }
    // Candidates at the ends of a finite interval are moved just inside, where a discontinuous integrand is positive.
    var probes = (breakpoints + candidates).filter(inside)
    if lower.isFinite { probes.append(lower.nextUp) }
    if upper.isFinite { probes.append(upper.nextDown) }
    var best = probes.first ?? 0, logMax = -Double.infinity
    for x in probes {
        let l = logIntegrand(x)
        if l > logMax { logMax = l; best = x }
    }
    guard logMax > -.infinity else { return ScaledIntegral(logScale: 0, value: 0, absoluteError: 0) }
    let cuts = Array(Set(breakpoints.filter(inside) + (inside(best) ? [best] : []))).sorted()
    let integrand = { (x: Double) -> Double in
        let l = logIntegrand(x) - logMax
        return l > -745 ? exp(l) : 0
    }
    var edges = [lower] + cuts + [upper]
    if edges.count == 2, !lower.isFinite, !upper.isFinite { edges.insert(best, at: 1) }
    func piece(_ i: Int, absoluteTolerance: Double) throws -> GSL.Quadrature {
        let a = edges[i], b = edges[i + 1]
        if a == -.infinity {
            return try GSL.integrateFromMinusInfinity(to: b, absoluteTolerance: absoluteTolerance,
                                                      relativeTolerance: relativeTolerance, integrand)
        }
        if b == .infinity {
            return try GSL.integrateToInfinity(from: a, absoluteTolerance: absoluteTolerance,
                                               relativeTolerance: relativeTolerance, integrand)
        }
        return try GSL.integrate(from: a, to: b, absoluteTolerance: absoluteTolerance,
                                 relativeTolerance: relativeTolerance, integrand)
    }
    let pieces = 0..<(edges.count - 1)
    let first = pieces.filter { edges[$0] <= best && best <= edges[$0 + 1] }
    var total = 0.0, error = 0.0
    for i in first {
        let q = try piece(i, absoluteTolerance: 0)
        total += q.value
        error += q.absoluteError
    }
    let floor = 1e-16 * total
    for i in pieces where !first.contains(i) {
        let q = try piece(i, absoluteTolerance: floor)
        total += q.value
        error += q.absoluteError
    }
    return ScaledIntegral(logScale: logMax, value: total, absoluteError: error)
}

extension SurrogateIntegrals {
    /// E[g(X)^power], X ~ N(m, sigma^2), sigma > 0, g a positive shape: the scaled quadrature over g's support, cut
    /// at g's landmarks and kinks and at m + {0, +-1, +-3, +-8, +-20, +-38} sigma; candidates for the integrand's
    /// largest value also on 64 points between m and g's centre, where the mode of a product of two unimodal factors
    /// lies.
    static func momentByQuadrature(_ g: SurrogateShape, power: Double, offset m: Double,
                                   standardDeviation sigma: Double) throws -> ScaledIntegral {
        let (lower, upper) = g.support
        let between = (0...64).map { m + (g.centre - m) * Double($0) / 64 }
        return try scaledIntegral(lower: lower, upper: upper,
                                  breakpoints: g.landmarks + gaussianLandmarks(mean: m, standardDeviation: sigma),
                                  candidates: between) { x in
            power * g.logValue(x) + logNormalDensity(x, mean: m, standardDeviation: sigma)
        }
    }
}
