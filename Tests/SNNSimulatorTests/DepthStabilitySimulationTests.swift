import Foundation
import SNNModel
import SNNSimulator
import SNNTheory
import Testing

/// Depth stability (issue 7) in the real network: simulations of the paper's initialization at an unstable fixed point
/// against the exact chain's silent probability, and the advice's weight scale at work. Sized for a debug `swift test`;
/// the 500-network versions of the acceptance run from the release binary in
/// notebooks-md/06-depth-stability.md.
@Suite struct DepthStabilitySimulationTests {
    static func paperRun(theta: Double, targetVariance: Double, depth: Int, networks: Int,
                         seed: UInt64) throws -> SimulationStatistics {
        let architecture = try Architecture(inputSize: 1000, width: 1000, depth: depth)
        let neuron = try NeuronModel(threshold: theta)
        let input = InputEncoding.bernoulli(rate: 0.2)
        return Simulator.run(try SimulationConfiguration(
            network: Network(architecture: architecture,
                             neuron: neuron,
                             steps: 1, input: input,
                             initialization: .variances(WeightVariance.forScheme(.paper, architecture: architecture, neuron: neuron, input: input,
                                                      targetVariance: targetVariance), name: "given")),
            batch: 1, networks: networks, seed: seed, threads: 2))
    }

    /// Theta 1.5, target variance 1, width 1000, T = 1, one input per network: the split into silent and saturated
    /// networks is decided in the first 20 layers (the chain: P(silent) 0.5457 at layer 20, 0.548 at 100), so 20
    /// layers show it. 200 networks; the silent fraction at layer 20 within 3 binomial standard errors of the chain's.
    @Test func silentFractionAtTheta1_5MatchesTheChain() throws {
        let depth = 20
        let cell = try PhaseDiagram(depth: depth, width: 1000, input: .bernoulli(rate: 0.2)).cell(theta: 1.5, scale: 1)
        #expect(cell.phase == .bistable)
        let run = try Self.paperRun(theta: 1.5, targetVariance: 1, depth: depth, networks: 200, seed: 11)
        let p = cell.silentProbability, fraction = run.layers[depth - 1].silentFraction
        let standardError = (p * (1 - p) / 200).squareRoot()
        #expect(abs(fraction - p) <= 3 * standardError, "simulated \(fraction), chain \(p) ± 3 x \(standardError)")
    }

    /// Theta 2, depth 100, width 1000: the paper's unit target leaves about half of the networks silent; the advised
    /// target variance (4.4, chain P(silent) 3.4e-4) leaves none of 40 silent, and none of them saturated either.
    @Test func advisedScaleKeepsDepth100AliveAtTheta2() throws {
        let advice = try StabilityAdvisor.advise(theta: 2, depth: 100, width: 1000, input: .bernoulli(rate: 0.2))
        let recommended = try #require(advice.recommended)
        let advised = try Self.paperRun(theta: 2, targetVariance: recommended.targetVariance, depth: 100, networks: 40,
                                        seed: 12)
        #expect(advised.layers[99].silentNetworks == 0)
        let rates = advised.layers[99].steps[0].networkRates
        #expect(rates.count == 40)
        #expect(rates.allSatisfy { $0 > 0.5 * recommended.meanFieldRate && $0 < 2 * recommended.meanFieldRate })
        let paper = try Self.paperRun(theta: 2, targetVariance: 1, depth: 100, networks: 40, seed: 12)
        let p = advice.paperDefault.silentProbability, fraction = paper.layers[99].silentFraction
        #expect(abs(fraction - p) <= 3 * (p * (1 - p) / 40).squareRoot(), "paper's unit target: \(fraction) vs \(p)")
    }
}
