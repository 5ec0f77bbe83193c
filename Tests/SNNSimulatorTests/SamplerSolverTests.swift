import Foundation
import SNNModel
import Testing
@testable import SNNSimulator

/// The sampler solver: per-layer scales that hold the expected rate at finite width.
@Suite struct SamplerSolverTests {
    static let q = erfc(1 / 2.0.squareRoot()) / 2

    /// beta 0.5, theta 1, T = 10, Bernoulli(0.2) input, layers of 400; the paper's scales as the starting guesses.
    func configuration(networks: Int, seed: UInt64, threads: Int = 2, variances: [Double]? = nil) throws
        -> SimulationConfiguration
    {
        let width = 400, depth = 12
        let paper = [1 / (Double(width) * 0.2)] + Array(repeating: 1 / (Double(width) * Self.q), count: depth - 1)
        return try SimulationConfiguration(
            network: Network(architecture: Architecture(inputSize: width, width: width, depth: depth),
                             neuron: NeuronModel(threshold: 1, leak: 0.5),
                             steps: 10, input: .bernoulli(rate: 0.2),
                             initialization: .variances(variances ?? paper, name: "given")),
            batch: 1, networks: networks, seed: seed, threads: threads)
    }

    @Test func rootFinderMeetsItsToleranceOnSmoothAndStepFunctions() throws {
        let smooth = try ReducedSampler.findCrossing({ tanh($0) }, target: 0.3, from: -2, layer: 1)
        #expect(abs(tanh(smooth) - 0.3) <= 1e-4 * 0.3, "tanh(\(smooth)) = \(tanh(smooth))")
        // A step function like the sampler's mean rate: steps of 1e-5, increasing.
        let steps = { (x: Double) in (1e5 / (1 + exp(-x))).rounded(.down) / 1e5 }
        let root = try ReducedSampler.findCrossing(steps, target: 0.1234, from: 3, layer: 1)
        #expect(abs(steps(root) - 0.1234) <= 1e-4 * 0.1234, "f(\(root)) = \(steps(root))")
    }

    /// The refusal names the layer, the target as given (0.9999, not rounded to 1) and the highest value reached.
    @Test func rootFinderReportsAnUnreachableTarget() {
        let failure = #expect(throws: ReducedSampler.SolverFailure.self) {
            try ReducedSampler.findCrossing({ 0.5 / (1 + exp(-$0)) }, target: 0.9999, from: 0, layer: 4)
        }
        #expect(failure?.layer == 4)
        #expect(failure?.detail.contains("stays below 0.9999 for Var[w]") == true, "\(failure?.detail ?? "")")
        #expect(failure?.detail.hasSuffix("(it reaches 0.5)") == true, "\(failure?.detail ?? "")")
    }

    /// The solved scales hold the expected time-averaged rate 0.06 at every layer of a fresh sample of networks (the
    /// paper's scales give 0.14 at layer 1 falling to 0.08 at layer 12 here): each layer's mean over R = 96
    /// independent networks lies within 4 combined standard errors of 0.06, the combination of the check's own error
    /// sd / sqrt(R) and the solver's sd / sqrt(K), K = 32 (so SE x sqrt(1 + R / K)).
    @Test func sampledScalesHoldTheExpectedRateAtFiniteWidth() throws {
        let solverNetworks = 32, checkNetworks = 96
        let solution = try ReducedSampler.solveWeightVariances(
            try configuration(networks: solverNetworks, seed: 7), targetRate: 0.06, horizon: .timeAveraged)
        #expect(solution.achieved.count == 12 && solution.weightVariances.count == 12)
        for (l, achieved) in solution.achieved.enumerated() {
            #expect(abs(achieved - 0.06) <= 1e-4 * 0.06, "layer \(l + 1): the solver's own mean \(achieved)")
        }
        let check = ReducedSampler.run(
            try configuration(networks: checkNetworks, seed: 8, variances: solution.weightVariances))
        for l in 1...check.layers.count {
            let rate = Estimate(samples: check.timeAveragedNetworkRates(layer: l))
            let combined = try #require(rate.standardError)
                * (1 + Double(checkNetworks) / Double(solverNetworks)).squareRoot()
            #expect(abs(rate.mean - 0.06) <= 4 * combined, "layer \(l): \(rate.mean) ± \(combined)")
        }
    }

    @Test func solvedScalesDoNotDependOnTheThreadCount() throws {
        let one = try ReducedSampler.solveWeightVariances(
            try configuration(networks: 8, seed: 3, threads: 1), targetRate: 0.2, horizon: .finalStep)
        let two = try ReducedSampler.solveWeightVariances(
            try configuration(networks: 8, seed: 3, threads: 2), targetRate: 0.2, horizon: .finalStep)
        #expect(one.weightVariances == two.weightVariances)
    }

    /// 4 networks x 400 neurons x 10 steps: a time-averaged target of 1e-3 is 16 spikes, 1e-4 only 1.6.
    @Test func solverRefusesATargetBelowTenSampledSpikes() throws {
        let failure = #expect(throws: ReducedSampler.SolverFailure.self) {
            try ReducedSampler.solveWeightVariances(
                try configuration(networks: 4, seed: 1), targetRate: 1e-4, horizon: .timeAveraged)
        }
        #expect(failure?.layer == 1)
        #expect(failure?.detail.contains("below 10 spikes") == true)
        _ = try ReducedSampler.solveWeightVariances(
            try configuration(networks: 4, seed: 1), targetRate: 1e-3, horizon: .timeAveraged)
    }

    @Test func solverRefusesARateNoScaleReaches() throws {
        #expect(throws: ReducedSampler.SolverFailure.self) {
            try ReducedSampler.solveWeightVariances(
                try configuration(networks: 4, seed: 1), targetRate: 0.95, horizon: .firstStep)
        }
    }
}
