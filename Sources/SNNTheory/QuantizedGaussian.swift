/// The quantized activation s = H(u - theta) of a Gaussian membrane potential u ~ N(mu, sigma^2):
/// the moments of THEORY.md section 2 in closed form through GSL's error functions.
///
/// Accuracy: about 1e-15 relative wherever the value exceeds 1e-300, including the far tail z = (theta - mu)/sigma
/// up to 37 and potentials far below threshold (mu << 0), where the textbook forms such as mu Q + sigma phi cancel.
/// Those are rewritten through the hazard excess c(z) (see `StandardNormal.hazardExcess`). Regression-tested against
/// an mpmath table (Tests/SNNTheoryTests/Reference) and cross-checked against adaptive quadrature.
///
/// sigma = 0 is the deterministic potential u = mu; a potential exactly at threshold does not spike (H(0) = 0).
public struct QuantizedGaussian: Sendable, Equatable {
    public let mean: Double
    public let standardDeviation: Double
    public let threshold: Double

    /// Requires finite mean and threshold and a finite standard deviation >= 0.
    public init(mean: Double, standardDeviation: Double, threshold: Double) {
        precondition(mean.isFinite && threshold.isFinite && standardDeviation.isFinite && standardDeviation >= 0,
                     "QuantizedGaussian needs finite parameters and sigma >= 0")
        self.mean = mean
        self.standardDeviation = standardDeviation
        self.threshold = threshold
    }

    /// A zero-mean potential with the given variance (the mean-field case of THEORY.md section 3).
    public init(variance: Double, threshold: Double) {
        self.init(mean: 0, standardDeviation: variance.squareRoot(), threshold: threshold)
    }

    /// z = (theta - mu) / sigma, the threshold in units of the potential's standard deviation (+-inf when sigma = 0).
    public var standardizedThreshold: Double {
        if standardDeviation == 0 { return threshold >= mean ? .infinity : -.infinity }
        return (threshold - mean) / standardDeviation
    }

    /// E[s] = E[s^2] = P(u > theta) = Q(z).
    public var spikeProbability: Double { StandardNormal.tail(standardizedThreshold) }

    /// log P(u > theta), finite far past the point where the probability underflows.
    public var logSpikeProbability: Double { StandardNormal.logTail(standardizedThreshold) }

    /// Var[s] = Q(z) (1 - Q(z)) = Q(z) Q(-z).
    public var spikeVariance: Double {
        let z = standardizedThreshold
        return StandardNormal.tail(z) * StandardNormal.tail(-z)
    }

    /// d E[s] / d sigma = z phi(z) / sigma at fixed mu and theta (0 when sigma = 0).
    public var spikeProbabilityDerivativeWithRespectToSigma: Double {
        guard standardDeviation > 0 else { return 0 }
        let z = standardizedThreshold
        return z * StandardNormal.density(z) / standardDeviation
    }

    /// E[u | s = 1] = mu + sigma phi(z)/Q(z), evaluated as theta + sigma c(z) above threshold (z > 0).
    public var meanGivenSpike: Double {
        let z = standardizedThreshold
        if standardDeviation == 0 { return z == -.infinity ? mean : threshold }
        if z > 0 { return threshold + standardDeviation * StandardNormal.hazardExcess(z) }
        return mean + standardDeviation * StandardNormal.hazard(z)
    }

    /// E[u s] = mu Q(z) + sigma phi(z) = Q(z) E[u | s = 1].
    public var meanTimesSpike: Double { spikeProbability * meanGivenSpike }

    /// E[u^2 s] = (mu^2 + sigma^2) Q(z) + sigma (theta + mu) phi(z); in the tail (z > 3) evaluated as
    /// Q(z) (Var[u | s=1] + E[u | s=1]^2) with Var[u | s=1] = sigma^2 T_1 (T_2 - T_1) from the Mills continued fractions.
    public var secondMomentTimesSpike: Double {
        let z = standardizedThreshold, sigma = standardDeviation, mu = mean
        if sigma == 0 { return z == -.infinity ? mu * mu : 0 }
        let q = StandardNormal.tail(z)
        if q == 0 { return 0 }
        if z > StandardNormal.millsCrossover {
            let t1 = StandardNormal.millsContinuedFraction(from: 1, z)
            let t2 = StandardNormal.millsContinuedFraction(from: 2, z)
            let conditionalMean = threshold + sigma * t1
            return q * (sigma * sigma * t1 * (t2 - t1) + conditionalMean * conditionalMean)
        }
        return (mu * mu + sigma * sigma) * q + sigma * (threshold + mu) * StandardNormal.density(z)
    }
}
