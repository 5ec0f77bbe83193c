import SNNModel

/// Var[w_l] for every layer of an architecture under an initialization scheme (THEORY.md section 3).
public enum WeightVariance {
    /// Per-layer weight variances, index 0 for layer 1.
    ///
    /// The paper's scheme aims at the membrane variance `targetVariance` (sigma_t^2) at every layer: layer 1 sees the
    /// input's second moment, Var[w_1] = sigma_t^2 / (n_0 E[s_0^2]); deeper layers see spikes of a potential already at
    /// the target, Var[w_l] = sigma_t^2 / (n_{l-1} Q(theta / sigma_t)). With sigma_t^2 = 1 this is the paper's
    /// Var[w_l] = 1 / (n_{l-1} P(u_{l-1} > theta)).
    ///
    /// `paper-reset` and `paper-balance` (THEORY.md section 6) assume a unit-variance potential and ignore
    /// `targetVariance`; like `paper`, their first layer divides by the input's second moment instead of Q(theta).
    /// (The authors' code uses Q(theta) at the first layer too.)
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
            case .paperReset, .paperBalance:
                let theta = neuron.threshold, beta = neuron.leak
                let unit = QuantizedGaussian(variance: 1, threshold: theta)
                let p = unit.spikeProbability
                let cross = scheme == .paperReset ? unit.meanGivenSpike : StandardNormal.density(theta)
                let numerator = 1 - beta * beta - theta * theta * p * (1 - p) + 2 * beta * theta * cross
                return numerator / (nIn * (l == 1 ? input.secondMoment : p))
            case .kaiming: return 2 / nIn
            case .lecun: return 1 / nIn
            case .glorot: return 2 / (nIn + nOut)
            case .pytorch: return 1 / (3 * nIn)
            case let .sigmaW(s): return s * s / nIn
            }
        }
    }

    /// `forScheme`, refusing a scheme whose variance is not finite: the paper's rules divide by P(u > theta), which
    /// underflows to 0 once theta / sigma_t is large (theta / sigma_t > 38.5), and the refusal names the options.
    public static func checked(_ scheme: InitScheme, architecture: Architecture, neuron: NeuronModel,
                               input: InputEncoding, targetVariance: Double = 1) throws -> [Double]
    {
        let variances = forScheme(scheme, architecture: architecture, neuron: neuron, input: input,
                                  targetVariance: targetVariance)
        if let index = variances.firstIndex(where: { !($0.isFinite && $0 >= 0) }) {
            // Layer 1 divides by the input's second moment (the paper's rules), not by a spike probability.
            if index == 0, [.paper, .paperReset, .paperBalance].contains(scheme), !(input.secondMoment > 0) {
                throw ModelError.invalid(
                    parameter: "input", value: input.description,
                    allowed: "an input whose second moment E[s_0^2] is positive in double precision (\(scheme) "
                        + "divides Var[w_1] by it); raise the input's scale")
            }
            let sigma = scheme == .paper ? targetVariance.squareRoot() : 1
            throw ModelError.invalid(
                parameter: "init", value: scheme.description,
                allowed: "a scheme with a finite weight variance; at theta \(neuron.threshold) and "
                    + (scheme == .paper ? "target-variance \(targetVariance)" : "a unit-variance potential")
                    + " the spike probability Q(theta / sigma_t) = "
                    + "Q(\(neuron.threshold / sigma)) it divides by is 0 in double precision (layer \(index + 1)): "
                    + "lower theta or raise target-variance")
        }
        return variances
    }
}

extension Network {
    /// Var[w_l] for l = 1...L: the scheme's (`WeightVariance.checked`), or the ones given.
    public func weightVariances() throws -> [Double] {
        switch initialization {
        case let .scheme(scheme, targetVariance):
            try WeightVariance.checked(scheme, architecture: architecture, neuron: neuron, input: input,
                                       targetVariance: targetVariance)
        case let .variances(variances, _): variances
        }
    }

    /// The same network with its variances given per layer, under the initialization's name, as the simulator
    /// takes it.
    public func resolved() throws -> Network {
        try initialized(.variances(weightVariances(), name: initialization.description),
                        weightDistribution: weightDistribution)
    }
}
