import Foundation
import SNNModel
@testable import SNNSimulator
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

    /// The two routes to the weight-gradient variances (Gram matrices of the columns, nothing formed; the batch-summed
    /// gradient formed entry by entry) compute the same quantities: on spike and analog input, every layer's per-item
    /// and batch-summed variances agree to 1e-5 relative (each route's Float32 sums carry at most about n 2^-24 ~ 1e-5
    /// relative rounding for the n <= 150 terms here, and typically sqrt(n) 2^-24), and agree with those of the
    /// per-item gradients G^b = sum_t delta[b, t] a[b, t]^T and their sum formed here in Double from the trace.
    @Test(arguments: [InputEncoding.bernoulli(rate: 0.2), .gaussian(std: 1)])
    func gramAndFormedRoutesAgree(input: InputEncoding) throws {
        let g = try Self.configuration(input: input, reset: .zero, resetGradient: .attached, networks: 2)
        let c = g.simulation, widths = c.architecture.widths, steps = c.steps, batch = c.batch
        func relative(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(abs(a), abs(b)) }
        func variance(_ x: [Double]) -> Double {
            let mean = x.reduce(0, +) / Double(x.count)
            return x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count - 1)
        }
        for r in 0..<c.networks {
            let gram = Simulator.trace(g, network: r, route: .gram)
            let formed = Simulator.trace(g, network: r, route: .formed)
            #expect(gram.deltas == formed.deltas)
            #expect(gram.weightGradients == formed.weightGradients)
            for l in 1..<widths.count {
                let width = widths[l], fanIn = widths[l - 1]
                func activity(_ j: Int, _ column: Int) -> Double {
                    if l > 1 { return gram.potentials[l - 2][column * fanIn + j] > 1 ? 1 : 0 }
                    let stored = input.heldOverSteps ? column / steps : column
                    return Double(gram.input[stored * fanIn + j])
                }
                var items: [Double] = [], summed = [Double](repeating: 0, count: width * fanIn)
                for b in 0..<batch {
                    for i in 0..<width {
                        for j in 0..<fanIn {
                            let entry = (0..<steps).reduce(0.0) {
                                let column = b * steps + $1
                                return $0 + Double(gram.deltas[l - 1][column * width + i]) * activity(j, column)
                            }
                            items.append(entry)
                            summed[i * fanIn + j] += entry
                        }
                    }
                }
                let direct = (item: variance(items), batch: variance(summed))
                let pairs = [(gram.itemGradientVariances[l - 1], formed.itemGradientVariances[l - 1], direct.item),
                             (gram.batchGradientVariances[l - 1], formed.batchGradientVariances[l - 1], direct.batch)]
                for (viaGram, viaFormed, exact) in pairs {
                    #expect(relative(viaGram, viaFormed) <= 1e-5, "network \(r), layer \(l)")
                    #expect(relative(viaGram, exact) <= 1e-5, "network \(r), layer \(l)")
                    #expect(relative(viaFormed, exact) <= 1e-5, "network \(r), layer \(l)")
                }
            }
        }
    }

    /// The route each layer takes: the Gram matrices when B T <= n_{l-1}, the formed gradient otherwise.
    @Test func routeFollowsColumnsAgainstFanIn() {
        #expect(GradientRoute.chosen(columns: 640, fanIn: 1000) == .gram)
        #expect(GradientRoute.chosen(columns: 1000, fanIn: 1000) == .gram)
        #expect(GradientRoute.chosen(columns: 1001, fanIn: 1000) == .formed)
    }
}
