import Foundation

/// A value from numerical integration with its reported absolute error bound.
public struct IntegralEstimate: Sendable, Equatable {
    public let value: Double
    public let absoluteError: Double
}

/// The same moments as the closed forms, by GSL adaptive quadrature, as an independent cross-check.
///
/// The step function is never integrated across: each integral starts at the threshold,
/// integral_theta^inf g(u) N(u; mu, sigma^2) du = integral_0^inf g(theta + sigma t) phi(z + t) dt, and for z > 0 the
/// factor phi(z) is taken out (phi(z + t) = phi(z) exp(-z t - t^2 / 2)) so the integrand stays of order one in the
/// far tail. QAGIU with relative tolerance 1e-13; the reported error is GSL's estimate, scaled alike.
extension QuantizedGaussian {
    private func integrateAboveThreshold(_ g: @escaping (Double) -> Double) throws -> IntegralEstimate {
        let z = standardizedThreshold, sigma = standardDeviation, theta = threshold
        precondition(sigma > 0, "quadrature needs sigma > 0")
        let scaled = z > 0
        let result = try GSL.integrateToInfinity(from: 0) { t in
            let weight = scaled ? exp(-z * t - 0.5 * t * t) : StandardNormal.density(z + t)
            return weight == 0 ? 0 : weight * g(theta + sigma * t)
        }
        let scale = scaled ? StandardNormal.density(z) : 1
        return IntegralEstimate(value: result.value * scale, absoluteError: result.absoluteError * scale)
    }

    /// P(u > theta) by quadrature.
    public func spikeProbabilityByQuadrature() throws -> IntegralEstimate {
        try integrateAboveThreshold { _ in 1 }
    }

    /// E[u s] by quadrature.
    public func meanTimesSpikeByQuadrature() throws -> IntegralEstimate {
        try integrateAboveThreshold { u in u }
    }

    /// E[u^2 s] by quadrature.
    public func secondMomentTimesSpikeByQuadrature() throws -> IntegralEstimate {
        try integrateAboveThreshold { u in u * u }
    }

    /// E[u | s = 1] as the ratio of two quadratures; the error bound adds the two relative bounds.
    public func meanGivenSpikeByQuadrature() throws -> IntegralEstimate {
        let p = try spikeProbabilityByQuadrature(), m = try meanTimesSpikeByQuadrature()
        let ratio = m.value / p.value
        let error = abs(ratio) * (m.absoluteError / abs(m.value) + p.absoluteError / p.value)
        return IntegralEstimate(value: ratio, absoluteError: error)
    }
}
