import Foundation
import SNNModel
import SNNSimulator
import SNNTheory
import Testing

/// The backward mean field (THEORY.md section 10) against Monte Carlo through the simulator's backward pass: the
/// claim, the pooled Var[delta_l] / Var[delta_L] of `simulate --gradients`, within four standard errors (over
/// networks, plus the prediction's own quasi-Monte Carlo error) at every layer. Small networks, seconds.
@Suite struct GradientTheoryTests {
    func simulated(_ network: Network, surrogate: Surrogate, resetGradient: ResetGradient, networks: Int) throws
        -> GradientStatistics
    {
        let configuration = try GradientConfiguration(
            simulation: SimulationConfiguration(network: network.resolved(), batch: 8, networks: networks, seed: 11, threads: 2),
            surrogate: surrogate, resetGradient: resetGradient)
        return Simulator.run(configuration).gradients
    }

    /// First step, width 200, depth 4, atan:2: the wide-layer prediction at 3 layers' distance is off by about 1%
    /// per layer at this width, within four standard errors of 64 networks; the finite-width one is checked too.
    @Test func firstStepMatchesTheSimulatedBackwardPass() throws {
        let network = try Network(architecture: Architecture(inputSize: 200, width: 200, depth: 4),
                                  neuron: NeuronModel(threshold: 1, leak: 0.9), input: .bernoulli(rate: 0.2))
        let surrogate = try Surrogate(parsing: "atan:2")
        let theory = try GradientRecursion.propagate(network, surrogate: surrogate, resetGradient: .detached)
        let corrected = try GradientRecursion.finiteWidthFirstStep(network, surrogate: surrogate)
        let simulation = try simulated(network, surrogate: surrogate, resetGradient: .detached, networks: 64)
        for (l, layer) in simulation.layers.enumerated().dropLast() {
            let estimate = try #require(layer.deltaVariancePooledRelative)
            let se = try #require(estimate.standardError)
            #expect(abs(estimate.mean - theory.layers[l].pooledMembraneVariance) <= 4 * se, "layer \(l + 1)")
            #expect(abs(estimate.mean - exp(corrected.logMembraneVariance[l])) <= 4 * se, "layer \(l + 1), finite width")
            let weight = try #require(layer.itemGradientVarianceRelative)
            let weightError = try #require(weight.standardError)
            #expect(abs(weight.mean - exp(corrected.logWeightVariance[l])) <= 4 * weightError, "layer \(l + 1), weight")
        }
    }

    /// Three steps, beta 0.9, subtract reset with the reset's gradient attached, atan:2: the multi-step recursion,
    /// per step and pooled.
    @Test func threeStepsMatchTheSimulatedBackwardPass() throws {
        let network = try Network(architecture: Architecture(inputSize: 200, width: 200, depth: 3),
                                  neuron: NeuronModel(threshold: 1, leak: 0.9), steps: 3, input: .bernoulli(rate: 0.2))
        let surrogate = try Surrogate(parsing: "atan:2")
        let theory = try GradientRecursion.propagate(network, surrogate: surrogate, resetGradient: .attached,
                                                     settings: TemporalKernelSettings(points: 8192, replicates: 8))
        let simulation = try simulated(network, surrogate: surrogate, resetGradient: .attached, networks: 48)
        for (l, layer) in simulation.layers.enumerated().dropLast() {
            let pooled = try #require(layer.deltaVariancePooledRelative)
            let predicted = theory.layers[l]
            let tolerance = 4 * ((pooled.standardError ?? 0) * (pooled.standardError ?? 0)
                + predicted.pooledMembraneVarianceError * predicted.pooledMembraneVarianceError).squareRoot()
            #expect(abs(pooled.mean - predicted.pooledMembraneVariance) <= tolerance, "layer \(l + 1) pooled")
            for t in 0..<3 {
                let step = try #require(layer.deltaVarianceRelative[t])
                let error = ((step.standardError ?? 0) * (step.standardError ?? 0)
                    + predicted.membraneVarianceError[t] * predicted.membraneVarianceError[t]).squareRoot()
                #expect(abs(step.mean - predicted.membraneVariance[t]) <= 4 * error, "layer \(l + 1) t=\(t + 1)")
            }
        }
    }
}
