/// What `GraphSimulation.run` measured: per neuron node (in graph order) and step, the spikes and the membrane over
/// its N neurons and the B input samples.
///
/// Standard errors count the B samples as the independent draws (the graph's weights are fixed): a mean over
/// samples of per-sample values has sd / sqrt(B) (divisor B - 1, `Estimate(samples:)`; nil when B = 1).
public struct GraphStatistics: Sendable, Equatable, Codable {
    /// T.
    public let steps: Int
    /// B.
    public let batch: Int
    public let seed: UInt64
    /// G, the groups of samples behind `GraphStepStatistics.membraneVariance`'s standard error: min(8, B / 2)
    /// (integer division), group g holding samples g B / G ..< (g + 1) B / G (integer division); below 2, no error.
    public let varianceGroups: Int
    /// The neuron nodes, in graph order.
    public let layers: [GraphLayerStatistics]
    /// Wall-clock seconds of the run (not part of the results proper: it varies from run to run).
    public let elapsedSeconds: Double

    public init(steps: Int, batch: Int, seed: UInt64, varianceGroups: Int, layers: [GraphLayerStatistics],
                elapsedSeconds: Double) {
        self.steps = steps
        self.batch = batch
        self.seed = seed
        self.varianceGroups = varianceGroups
        self.layers = layers
        self.elapsedSeconds = elapsedSeconds
    }

    /// G for B samples: min(8, B / 2).
    public static func varianceGroups(batch: Int) -> Int { min(8, batch / 2) }
}

/// One neuron node's statistics.
public struct GraphLayerStatistics: Sendable, Equatable, Codable {
    /// The node's index in `NetworkGraph.nodes`, and its name.
    public let node: Int
    public let name: String
    /// N, the node's neurons.
    public let neurons: Int
    /// Whether the node has a threshold; without one it only integrates, and every spike statistic is nil.
    public let spiking: Bool
    /// `steps[t - 1]` for t = 1...T.
    public let steps: [GraphStepStatistics]
    /// Spikes per neuron per step over all T steps: per sample the mean over neurons and steps, then the mean over
    /// samples with its standard error.
    public let meanRate: Estimate?
    /// Per neuron i: its spikes at step 1 averaged over the samples, sum_b n_bi[1] / B.
    public let firstStepNeuronRates: [Double]?
    /// Per neuron i: its spikes per step over all steps and samples, sum_b sum_t n_bi[t] / (B T).
    public let neuronRates: [Double]?

    public init(node: Int, name: String, neurons: Int, spiking: Bool, steps: [GraphStepStatistics],
                meanRate: Estimate?, firstStepNeuronRates: [Double]?, neuronRates: [Double]?) {
        self.node = node
        self.name = name
        self.neurons = neurons
        self.spiking = spiking
        self.steps = steps
        self.meanRate = meanRate
        self.firstStepNeuronRates = firstStepNeuronRates
        self.neuronRates = neuronRates
    }
}

/// One neuron node at one step t. With n_bi the spikes (a count for multi-spike neurons) and u_bi the membrane
/// before the reset of neuron i in sample b:
public struct GraphStepStatistics: Sendable, Equatable, Codable {
    /// t, from 1.
    public let step: Int
    /// Spikes per neuron: r_b = sum_i n_bi / N per sample, their mean over samples and its standard error.
    public let rate: Estimate?
    /// m_b = sum_i u_bi / N per sample, their mean over samples and its standard error.
    public let membraneMean: Estimate
    /// Var[u] pooled over neurons and samples: the unbiased variance of the N B values (divisor N B - 1; 0 when
    /// N B = 1), from each sample's mean and centred sum of squares (sum_b M2_b + N sum_b (m_b - m)^2). Its standard
    /// error by batch means: the same pooled variance within each of the G groups of samples
    /// (`GraphStatistics.varianceGroups`), sd over groups / sqrt(G) (divisor G - 1); nil when G < 2.
    public let membraneVariance: Estimate
    /// The fraction of neurons that spiked in no sample at this step.
    public let silentFraction: Double?

    public init(step: Int, rate: Estimate?, membraneMean: Estimate, membraneVariance: Estimate,
                silentFraction: Double?) {
        self.step = step
        self.rate = rate
        self.membraneMean = membraneMean
        self.membraneVariance = membraneVariance
        self.silentFraction = silentFraction
    }
}

/// One neuron node's raw sums, written while the simulation runs and summarized at its end.
final class GraphLayerRecord {
    let node: Int, name: String, neurons: Int, spiking: Bool
    let steps: Int, batch: Int
    /// Per (step, sample), index (t - 1) B + b: the sample's membrane mean m_b, its centred sum of squares M2_b, and
    /// its spike count.
    var means: [Double]
    var squares: [Double]
    var spikes: [Double]
    /// Per (step): neurons that spiked in no sample.
    var silent: [Int]

    init(node: Int, name: String, neurons: Int, spiking: Bool, steps: Int, batch: Int) {
        self.node = node
        self.name = name
        self.neurons = neurons
        self.spiking = spiking
        self.steps = steps
        self.batch = batch
        means = Array(repeating: 0, count: steps * batch)
        squares = means
        spikes = means
        silent = Array(repeating: 0, count: steps)
    }

    /// The pooled unbiased variance of samples `range` at step index `t` (from 0).
    func pooledVariance(step t: Int, samples range: Range<Int>) -> Double {
        let base = t * batch
        let k = Double(range.count), n = Double(neurons)
        let mean = range.reduce(0.0) { $0 + means[base + $1] } / k
        let within = range.reduce(0.0) { $0 + squares[base + $1] }
        let between = range.reduce(0.0) { $0 + (means[base + $1] - mean) * (means[base + $1] - mean) }
        return n * k > 1 ? (within + n * between) / (n * k - 1) : 0
    }

    /// The statistics, given per neuron its spikes at step 1 and over all steps, summed over samples (integers, exact
    /// in Double).
    func summary(groups: Int, firstStepCounts: [Double], counts: [Double]) -> GraphLayerStatistics {
        let n = Double(neurons), b = Double(batch)
        let stepStatistics = (0..<steps).map { t in
            let base = t * batch
            let variance = pooledVariance(step: t, samples: 0..<batch)
            var error: Double?
            if groups >= 2 {
                let values = (0..<groups).map { g in
                    pooledVariance(step: t, samples: g * batch / groups ..< (g + 1) * batch / groups)
                }
                error = Estimate(samples: values).standardError
            }
            return GraphStepStatistics(
                step: t + 1,
                rate: spiking ? Estimate(samples: (0..<batch).map { spikes[base + $0] / n }) : nil,
                membraneMean: Estimate(samples: Array(means[base..<base + batch])),
                membraneVariance: Estimate(mean: variance, standardError: error),
                silentFraction: spiking ? Double(silent[t]) / n : nil)
        }
        let meanRate = spiking ? Estimate(samples: (0..<batch).map { sample in
            (0..<steps).reduce(0.0) { $0 + spikes[$1 * batch + sample] } / (n * Double(steps))
        }) : nil
        return GraphLayerStatistics(
            node: node, name: name, neurons: neurons, spiking: spiking, steps: stepStatistics, meanRate: meanRate,
            firstStepNeuronRates: spiking ? firstStepCounts.map { $0 / b } : nil,
            neuronRates: spiking ? counts.map { $0 / (b * Double(steps)) } : nil)
    }
}
