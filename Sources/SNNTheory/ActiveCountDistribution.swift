/// The law of k_l, the number of neurons of a layer that spike at the first time step, across networks (random
/// weights) and inputs: `probabilities[k]` = P(k_l = k) for k = 0...width. Produced by `FiniteWidthChain`.
///
/// Probabilities below the chain's negligible level (1e-300 by default) are stored as 0; the total is 1 up to
/// rounding (about 1e-14 per layer) and that truncation.
public struct ActiveCountDistribution: Sendable, Equatable {
    /// n_l.
    public let width: Int
    /// P(k_l = k), index k = 0...width.
    public let probabilities: [Double]

    public init(width: Int, probabilities: [Double]) {
        precondition(probabilities.count == width + 1, "one probability per count 0...width")
        self.width = width
        self.probabilities = probabilities
    }

    /// The sum of all probabilities: 1 up to rounding and truncation.
    public var totalProbability: Double { probabilities.reduce(0, +) }

    /// P(k_l = 0): the layer, and every layer after it, is silent.
    public var silentProbability: Double { probabilities[0] }

    /// E[k_l].
    public var meanCount: Double {
        var sum = 0.0
        for (k, p) in probabilities.enumerated() where p > 0 { sum += Double(k) * p }
        return sum
    }

    /// Var[k_l], summed around the mean (no cancellation).
    public var countVariance: Double {
        let mean = meanCount
        var sum = 0.0
        for (k, p) in probabilities.enumerated() where p > 0 {
            let d = Double(k) - mean
            sum += d * d * p
        }
        return sum
    }

    /// E[k_l / n_l], over all networks, silent ones included.
    public var meanRate: Double { meanCount / Double(width) }

    /// sd[k_l / n_l] across networks.
    public var rateStandardDeviation: Double { countVariance.squareRoot() / Double(width) }

    /// E[k_l / n_l | k_l > 0], the mean rate among networks still active; nil when no active count has a
    /// non-negligible probability.
    public var meanRateGivenActive: Double? {
        var mass = 0.0, moment = 0.0
        for k in 1..<probabilities.count {
            mass += probabilities[k]
            moment += Double(k) * probabilities[k]
        }
        return mass > 0 ? moment / mass / Double(width) : nil
    }

    /// The lower quantile of the rate, min { k / n_l : P(k_l <= k) >= level }, for a level in (0, 1].
    public func rateQuantile(_ level: Double) -> Double {
        precondition(level > 0 && level <= 1, "a quantile level in (0, 1]")
        var cumulative = 0.0
        for (k, p) in probabilities.enumerated() {
            cumulative += p
            if cumulative >= level { return Double(k) / Double(width) }
        }
        // Only reachable when rounding leaves the total just below `level`: the largest count with mass.
        let last = probabilities.lastIndex(where: { $0 > 0 }) ?? 0
        return Double(last) / Double(width)
    }

    /// P(k_l / n_l > rate), strictly above.
    public func probability(rateAbove rate: Double) -> Double {
        let first = max(0, Int((rate * Double(width)).rounded(.down)) + 1)
        guard first <= width else { return 0 }
        return probabilities[first...].reduce(0, +)
    }
}
