import Foundation
import SNNModel

/// One layer of the first-time-step mean-field prediction.
public struct FirstStepLayer: Sendable, Equatable {
    /// 1-based layer index.
    public let layer: Int
    /// n_{l-1}.
    public let fanIn: Int
    /// n_l.
    public let width: Int
    /// Var[w_l].
    public let weightVariance: Double
    /// Var[u_l] at t = 1; 0 once it underflows a Double (see `logMembraneVariance`).
    public let membraneVariance: Double
    /// ln Var[u_l], finite well past underflow; -inf once even the logarithm is out of reach.
    public let logMembraneVariance: Double
    /// P(u_l > theta) at t = 1.
    public let rate: Double
    /// ln P(u_l > theta).
    public let logRate: Double
    /// chi_l = d Var[u_l] / d Var[u_{l-1}], the slope of the variance map into this layer (nil for layer 1,
    /// whose input does not depend on a membrane variance). Deviations grow by chi per layer when chi > 1.
    public let fixedPointSlope: Double?

    /// 1 / |ln chi|: the number of layers over which a deviation changes by a factor e (nil when undefined).
    public var depthScale: Double? {
        guard let chi = fixedPointSlope, chi > 0, chi != 1 else { return nil }
        return 1 / abs(log(chi))
    }

    /// Fewer than 0.001 spikes expected in the whole layer per time step.
    public var isSilent: Bool { Double(width) * rate < 1e-3 }
}

/// The paper's variance recursion at the first time step, in the wide-layer limit (THEORY.md section 3):
///
///     Var[u_1] = n_0 Var[w_1] E[s_0^2],   Var[u_l] = n_{l-1} Var[w_l] Q(theta / sqrt(Var[u_{l-1}]))
///
/// evaluated both directly and in log space, so a collapse is followed down to ln Var of about -1e300 instead of
/// turning into NaN: a variance below the smallest Double is reported as 0 with its logarithm kept.
public enum VarianceRecursion {
    /// The recursion for the network's weight variances (`Network.weightVariances`).
    public static func firstStep(_ network: Network) throws -> [FirstStepLayer] {
        firstStep(architecture: network.architecture, neuron: network.neuron, input: network.input,
                  weightVariances: try network.weightVariances())
    }

    static func firstStep(architecture: Architecture, neuron: NeuronModel, input: InputEncoding,
                          weightVariances: [Double]) -> [FirstStepLayer]
    {
        precondition(weightVariances.count == architecture.depth)
        let theta = neuron.threshold
        var layers: [FirstStepLayer] = []
        layers.reserveCapacity(architecture.depth)
        var previousVariance = 0.0, previousLogVariance = 0.0
        for l in 1...architecture.depth {
            let nIn = Double(architecture.fanIn(layer: l))
            let gain = nIn * weightVariances[l - 1]
            var variance: Double, logVariance: Double, slope: Double? = nil
            if l == 1 {
                variance = gain * input.secondMoment
                logVariance = log(gain) + log(input.secondMoment)
            } else {
                let z = theta * exp(-0.5 * previousLogVariance)
                let logQ = StandardNormal.logTail(z)
                logVariance = log(gain) + logQ
                variance = previousVariance > 0
                    ? gain * QuantizedGaussian(variance: previousVariance, threshold: theta).spikeProbability
                    : 0
                // chi = gain * z phi(z) / (2 Var[u_{l-1}]), in logs so that a collapsed layer gives 0, not NaN.
                let logSlope = log(gain) + log(z) + StandardNormal.logDensity(z) - log(2.0) - previousLogVariance
                slope = logSlope.isNaN ? 0 : exp(logSlope)
            }
            // One trajectory, not two: while a Double holds the variance its logarithm is taken from it, and the
            // log-space chain carries on alone only past underflow.
            if variance >= Double.leastNormalMagnitude { logVariance = log(variance) }
            let logRate = StandardNormal.logTail(theta * exp(-0.5 * logVariance))
            let rate = variance > 0 ? QuantizedGaussian(variance: variance, threshold: theta).spikeProbability : 0
            layers.append(FirstStepLayer(
                layer: l, fanIn: Int(nIn), width: architecture.width(layer: l),
                weightVariance: weightVariances[l - 1], membraneVariance: variance, logMembraneVariance: logVariance,
                rate: rate, logRate: logRate, fixedPointSlope: slope))
            previousVariance = variance
            previousLogVariance = logVariance
        }
        return layers
    }

    /// chi at the paper's fixed point, as a function of x = theta / sigma_t: x phi(x) / (2 Q(x)).
    public static func fixedPointSlope(thresholdOverSigma x: Double) -> Double {
        0.5 * x * StandardNormal.hazard(x)
    }

    /// The x = theta / sigma_t where the paper's fixed point turns unstable (chi = 1), by Brent's method.
    public static func criticalThresholdOverSigma() throws -> Double {
        try GSL.findRoot(lower: 0.5, upper: 3) { fixedPointSlope(thresholdOverSigma: $0) - 1 }
    }
}
