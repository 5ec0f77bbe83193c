/// A mean over independent networks and its standard error: sd / sqrt(R) with the sample standard deviation
/// (divisor R - 1); `nil` when R = 1, where the spread across networks is unknown.
public struct Estimate: Sendable, Equatable, Codable {
    public let mean: Double
    public let standardError: Double?

    public init(mean: Double, standardError: Double?) {
        self.mean = mean
        self.standardError = standardError
    }

    /// The estimate from one value per network, summed in order (so the result is a function of the values alone).
    public init(samples: [Double]) {
        let r = Double(samples.count)
        let mean = samples.reduce(0, +) / r
        self.mean = mean
        if samples.count > 1 {
            let sumOfSquares = samples.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            standardError = (sumOfSquares / (r - 1)).squareRoot() / r.squareRoot()
        } else {
            standardError = nil
        }
    }
}

/// The statistics of one layer at one time step t, over the n_l x B entries of each network, then across networks.
public struct StepStatistics: Sendable, Equatable, Codable {
    /// t, from 1.
    public let step: Int
    /// Mean over networks of each network's mean membrane potential u_l[t] (before reset).
    public let membraneMean: Estimate
    /// Mean over networks of each network's membrane variance: the unbiased sample variance of u_l[t] over its
    /// n_l x B entries (divisor n_l B - 1; 0 when n_l B = 1).
    public let membraneVariance: Estimate
    /// Mean over networks of each network's spike rate: the fraction of its n_l x B entries with s_l[t] = 1.
    public let rate: Estimate
    /// Per network, in network order: the values the estimates above average.
    public let networkMembraneMeans: [Double]
    public let networkMembraneVariances: [Double]
    public let networkRates: [Double]
}

/// The statistics of layer l.
public struct LayerStatistics: Sendable, Equatable, Codable {
    /// l, from 1.
    public let layer: Int
    /// `steps[t - 1]` for t = 1...T.
    public let steps: [StepStatistics]
    /// Networks in which the layer emitted no spike at all, over all steps and batch items.
    public let silentNetworks: Int
    /// silentNetworks / R.
    public let silentFraction: Double
    /// The binomial standard error sqrt(p (1 - p) / R) of `silentFraction`; `nil` when R = 1.
    public let silentFractionStandardError: Double?
}

/// The result of `Simulator.run`.
public struct SimulationStatistics: Sendable, Equatable, Codable {
    public let configuration: SimulationConfiguration
    /// `layers[l - 1]` for l = 1...L.
    public let layers: [LayerStatistics]
    /// The work done, for the throughput line: for `Simulator.run` the dense multiply-adds of the networks computed
    /// (sum over layers of n_{l-1} n_l B T per network, `configuration.synapticEvents` / R each; resumed networks are
    /// not counted); for `ReducedSampler.run` its own count, sum over layers of n_l T^2 per computed network.
    public let synapticEvents: Double
    /// Wall-clock seconds of the run (not part of the results proper: it varies from run to run).
    public let elapsedSeconds: Double

    public var synapticEventsPerSecond: Double { synapticEvents / elapsedSeconds }

    /// Per network, the spike rate of layer l averaged over the steps 1...T.
    public func timeAveragedNetworkRates(layer l: Int) -> [Double] {
        let steps = layers[l - 1].steps
        return (0..<configuration.networks).map { r in
            steps.reduce(0) { $0 + $1.networkRates[r] } / Double(steps.count)
        }
    }

    /// The mean over networks of each network's rate averaged over t = 1..T at layer l, with its standard error.
    public func timeAveragedRate(layer l: Int) -> Estimate {
        Estimate(samples: timeAveragedNetworkRates(layer: l))
    }
}
