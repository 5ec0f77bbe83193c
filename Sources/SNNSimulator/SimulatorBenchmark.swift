import Foundation
import SNNModel

/// The standard workload of the speed comparison with the NumPy peer (`scripts/benchmark/peer_numpy.py`):
/// width 1000 (input size 1000), depth 100, T = 10, batch 64, theta = 1, beta = 0.9, reset by subtraction,
/// Bernoulli(0.2) input, the paper's initialization with target variance 1, Gaussian Float32 weights, one network.
public enum SimulatorBenchmark {
    public static let width = 1000
    public static let depth = 100
    public static let steps = 10
    public static let batch = 64
    public static let inputRate = 0.2

    /// The paper's variances: Var[w_1] = 1 / (n_0 p) for Bernoulli(p) input (E[s_0^2] = p) and
    /// Var[w_l] = 1 / (n_{l-1} Q(theta)) for l >= 2, with Q(1) = erfc(1 / sqrt 2) / 2 = 0.158655253931457.
    /// (Computed here rather than by SNNTheory, which the simulator does not depend on.)
    public static var weightVariances: [Double] { weightVariances(width: width) }

    /// The paper's variances for layers of `width` neurons (input size `width`).
    public static func weightVariances(width: Int) -> [Double] {
        let q = erfc(1 / 2.0.squareRoot()) / 2
        return [1 / (Double(width) * inputRate)] + Array(repeating: 1 / (Double(width) * q), count: depth - 1)
    }

    public static func standardConfiguration(threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                                             seed: UInt64 = 1) throws -> SimulationConfiguration {
        try SimulationConfiguration(
            network: Network(architecture: Architecture(inputSize: width, width: width, depth: depth),
                             neuron: NeuronModel(threshold: 1, leak: 0.9, reset: .subtract),
                             steps: steps, input: .bernoulli(rate: inputRate),
                             initialization: .variances(weightVariances, name: "paper"), weightDistribution: .gaussian),
            batch: batch, networks: 1, seed: seed, threads: threads)
    }

    /// Runs the standard workload; `elapsedSeconds` and `synapticEventsPerSecond` of the result are the timing.
    public static func standardWorkload(threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                                        seed: UInt64 = 1) throws -> SimulationStatistics {
        Simulator.run(try standardConfiguration(threads: threads, seed: seed))
    }

    /// The standard workload forward and backward (`scripts/benchmark/backward.sh` times it against
    /// `standardWorkload`, whose statistics it repeats): `surrogate` (atan:2 unless given), the reset detached unless
    /// said otherwise. `statistics.elapsedSeconds` of the result is the timing.
    public static func gradientWorkload(surrogate: Surrogate? = nil, resetGradient: ResetGradient = .detached,
                                        threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                                        seed: UInt64 = 1) throws -> GradientRun {
        Simulator.run(try GradientConfiguration(simulation: standardConfiguration(threads: threads, seed: seed),
                                                surrogate: surrogate ?? Surrogate(.atan), resetGradient: resetGradient))
    }

    /// The two ways to sample a network's statistics that the reduced comparison times against each other.
    public enum Method: String, Sendable, CaseIterable {
        /// `Simulator.run`: weight matrices and matrix products.
        case full
        /// `ReducedSampler.run`: the exact reduced sampler, no weight matrices.
        case reduced
    }

    /// The workload of the reduced comparison: the standard workload with batch 1 (the reduced sampler is exact for
    /// one input per network), `networks` networks, `steps` time steps (T = 10 unless given) and layers of `width`
    /// neurons (1000 unless given; the input has as many, and the variances are the paper's for that width).
    public static func reducedComparisonConfiguration(threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                                                      networks: Int = 20, steps: Int = SimulatorBenchmark.steps,
                                                      width: Int = SimulatorBenchmark.width,
                                                      seed: UInt64 = 1) throws -> SimulationConfiguration {
        try SimulationConfiguration(
            network: Network(architecture: Architecture(inputSize: width, width: width, depth: depth),
                             neuron: NeuronModel(threshold: 1, leak: 0.9, reset: .subtract),
                             steps: steps, input: .bernoulli(rate: inputRate),
                             initialization: .variances(weightVariances(width: width), name: "paper"), weightDistribution: .gaussian),
            batch: 1, networks: networks, seed: seed, threads: threads)
    }

    /// Runs the reduced comparison's workload with `method`; `elapsedSeconds` of the result is the timing.
    public static func reducedComparisonWorkload(method: Method,
                                                 threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                                                 networks: Int = 20, steps: Int = SimulatorBenchmark.steps,
                                                 width: Int = SimulatorBenchmark.width,
                                                 seed: UInt64 = 1) throws -> SimulationStatistics {
        let configuration = try reducedComparisonConfiguration(threads: threads, networks: networks, steps: steps,
                                                               width: width, seed: seed)
        switch method {
        case .full: return Simulator.run(configuration)
        case .reduced: return ReducedSampler.run(configuration)
        }
    }
}
