import SNNModel
import Testing
@testable import SNNSimulator

/// The sampler solver's estimated run time, behind `simulate --solve-on sampler`'s refusal of long runs.
@Suite struct SolverCostTests {
    @Test func minutesFollowNeuronsAndTheStepTerm() throws {
        let architecture = try Architecture(widths: [50, 1000, 3000])
        // R x neurons x (T + T (T + 1) / 40) x passes / rate / 60, neurons = 1000 + 3000 (not the input).
        let expected = 64.0 * 4000 * (20 + 20.0 * 21 / 40) * 6 / 5e8 / 60
        let minutes = ReducedSampler.solverMinutes(architecture: architecture, steps: 20, networks: 64)
        #expect(abs(minutes - expected) < 1e-12 * expected)
    }

    @Test func minutesGrowLinearlyInNetworks() throws {
        let architecture = try Architecture(inputSize: 100, width: 100, depth: 3)
        let one = ReducedSampler.solverMinutes(architecture: architecture, steps: 4, networks: 10)
        let two = ReducedSampler.solverMinutes(architecture: architecture, steps: 4, networks: 20)
        #expect(abs(two - 2 * one) < 1e-12 * two)
    }

    @Test func theSolverRunsItsNetworksWithGaussianWeightsAndOneInput() throws {
        let guess = try Network(architecture: Architecture(inputSize: 20, width: 20, depth: 2),
                                neuron: NeuronModel(threshold: 1), steps: 3, input: .bernoulli(rate: 0.2),
                                initialization: .variances([0.05, 0.05], name: "guess"), weightDistribution: .uniform)
        let c = try ReducedSampler.solverConfiguration(guess, networks: 5, seed: 7, threads: 1)
        #expect(c.batch == 1 && c.networks == 5 && c.seed == 7)
        #expect(c.network.weightDistribution == .gaussian)
    }
}
