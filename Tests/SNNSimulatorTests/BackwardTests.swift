import Foundation
import SNNModel
import SNNSimulator
import Testing

@Suite struct BackwardTests {
    /// Several tiles (150 > 128 neurons), partial panels (70, 37), an odd batch, analog or spike input.
    static func configuration(input: InputEncoding = .bernoulli(rate: 0.2), reset: Reset = .subtract,
                              resetGradient: ResetGradient = .detached, surrogate: String = "atan", networks: Int = 3,
                              threads: Int = 1, memoryLimit: Int? = nil) throws -> GradientConfiguration {
        let widths = [60, 150, 70, 37]
        let variances = (1..<widths.count).map { l in
            (l == 1 ? 1.2 / input.secondMoment : 1.2 / 0.1587) / Double(widths[l - 1])
        }
        let network = try Network(architecture: Architecture(widths: widths),
                                  neuron: NeuronModel(threshold: 1, leak: 0.8, reset: reset), steps: 4, input: input,
                                  initialization: .variances(variances, name: "given"))
        return try GradientConfiguration(
            simulation: SimulationConfiguration(network: network, batch: 3, networks: networks, seed: 5, threads: threads,
                                                memoryLimit: memoryLimit),
            surrogate: Surrogate(parsing: surrogate), resetGradient: resetGradient)
    }

    @Test(arguments: Reset.allCases)
    func forwardStatisticsAreThoseOfTheForwardPassAlone(reset: Reset) throws {
        let g = try Self.configuration(reset: reset, resetGradient: .attached)
        #expect(Simulator.run(g).statistics.layers == Simulator.run(g.simulation).layers)
    }

    @Test(arguments: [InputEncoding.bernoulli(rate: 0.2), .gaussian(std: 1)])
    func gradientStatisticsDoNotDependOnThreadCount(input: InputEncoding) throws {
        let one = Simulator.run(try Self.configuration(input: input, reset: .zero, resetGradient: .attached)).gradients
        for threads in [2, 3, 5] {
            let many = Simulator.run(try Self.configuration(input: input, reset: .zero, resetGradient: .attached,
                                                            threads: threads)).gradients
            #expect(many.layers == one.layers, "threads \(threads)")
        }
    }

    @Test func traceRecordsWhatTheRunRecords() throws {
        let g = try Self.configuration(reset: .zero)
        let run = Simulator.run(g).gradients
        for r in 0..<g.simulation.networks {
            let trace = Simulator.trace(g, network: r)
            for l in run.layers {
                #expect(trace.deltaVariances[l.layer - 1] == l.networkDeltaVariances.map { $0[r] })
                #expect(trace.deltaVariancesPooled[l.layer - 1] == l.networkDeltaVariancesPooled[r])
                #expect(trace.itemGradientVariances[l.layer - 1] == l.networkItemGradientVariances[r])
                #expect(trace.batchGradientVariances[l.layer - 1] == l.networkBatchGradientVariances[r])
            }
        }
    }

    /// The relative values are ratios of means over networks, with the delta-method standard error; the last layer's
    /// own ratio is 1 with error 0.
    @Test func relativeValuesAreRatiosOfNetworkMeans() throws {
        let gradients = Simulator.run(try Self.configuration(networks: 4)).gradients
        let last = gradients.layers.last!
        for l in gradients.layers {
            let pairs = [(l.networkDeltaVariancesPooled, last.networkDeltaVariancesPooled, l.deltaVariancePooledRelative),
                         (l.networkItemGradientVariances, last.networkItemGradientVariances, l.itemGradientVarianceRelative),
                         (l.networkBatchGradientVariances, last.networkBatchGradientVariances,
                          l.batchGradientVarianceRelative),
                         (l.networkDeltaVariances[2], last.networkDeltaVariances[2], l.deltaVarianceRelative[2])]
            for (a, b, relative) in pairs {
                let relative = try #require(relative)
                let r = Double(a.count), meanA = a.reduce(0, +) / r, meanB = b.reduce(0, +) / r
                let ratio = meanA / meanB
                let spread = zip(a, b).reduce(0.0) { $0 + ($1.0 - ratio * $1.1) * ($1.0 - ratio * $1.1) }
                #expect(abs(relative.mean - ratio) <= 1e-12 * ratio)
                #expect(abs(relative.standardError! - (spread / (r * (r - 1))).squareRoot() / meanB) <= 1e-12 * ratio)
            }
        }
        #expect(last.itemGradientVarianceRelative == Estimate(mean: 1, standardError: 0))
    }

    /// The guard adds the backward pass's buffers to the forward pass's: a limit the forward pass fits in refuses the
    /// gradients, with the estimate in the error.
    @Test func memoryGuardCountsTheBackwardPass() throws {
        let g = try Self.configuration()
        #expect(g.estimatedBytes > g.simulation.estimatedBytes)
        let limit = g.simulation.estimatedBytes + 1
        #expect(throws: SimulationError.insufficientMemory(estimatedBytes: g.estimatedBytes, limitBytes: limit)) {
            try Self.configuration(memoryLimit: limit)
        }
    }
}
