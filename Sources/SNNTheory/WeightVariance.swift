import SNNModel

/// Var[w_l] for every layer of an architecture under an initialization scheme (THEORY.md section 3).
public enum WeightVariance {
    /// Per-layer weight variances, index 0 for layer 1.
    ///
    /// The paper's scheme aims at the membrane variance `targetVariance` (sigma_t^2) at every layer: layer 1 sees the
    /// input's second moment, Var[w_1] = sigma_t^2 / (n_0 E[s_0^2]); deeper layers see spikes of a potential already at
    /// the target, Var[w_l] = sigma_t^2 / (n_{l-1} Q(theta / sigma_t)). With sigma_t^2 = 1 this is the paper's
    /// Var[w_l] = 1 / (n_{l-1} P(u_{l-1} > theta)).
    public static func forScheme(_ scheme: InitScheme, architecture: Architecture, neuron: NeuronModel,
                                 input: InputEncoding, targetVariance: Double = 1) -> [Double]
    {
        (1...architecture.depth).map { l in
            let nIn = Double(architecture.fanIn(layer: l)), nOut = Double(architecture.width(layer: l))
            switch scheme {
            case .paper:
                if l == 1 { return targetVariance / (nIn * input.secondMoment) }
                let p = QuantizedGaussian(variance: targetVariance, threshold: neuron.threshold).spikeProbability
                return targetVariance / (nIn * p)
            case .kaiming: return 2 / nIn
            case .lecun: return 1 / nIn
            case .glorot: return 2 / (nIn + nOut)
            case .pytorch: return 1 / (3 * nIn)
            case let .sigmaW(s): return s * s / nIn
            }
        }
    }
}
