import Foundation
import SNNModel
import Testing
@testable import SNNSimulator

/// The reduced sampler draws from the same law as the full simulator (Gaussian weights, one input per network).
@Suite struct ReducedSamplerTests {
    static let q = erfc(1 / 2.0.squareRoot()) / 2

    func configuration(leak: Double, seed: UInt64, networks: Int = 300) throws -> SimulationConfiguration {
        let width = 200, depth = 8
        let variances = [1 / (Double(width) * 0.2)] + Array(repeating: 1 / (Double(width) * Self.q), count: depth - 1)
        return try SimulationConfiguration(
            network: Network(architecture: Architecture(inputSize: width, width: width, depth: depth),
                             neuron: NeuronModel(threshold: 1, leak: leak),
                             steps: 6, input: .bernoulli(rate: 0.2),
                             initialization: .variances(variances, name: "given")),
            batch: 1, networks: networks, seed: seed, threads: 2)
    }

    /// Two-sample Kolmogorov-Smirnov p-value (asymptotic distribution with the usual small-sample correction).
    static func kolmogorovSmirnovPValue(_ a: [Double], _ b: [Double]) -> Double {
        let x = a.sorted(), y = b.sorted()
        var i = 0, j = 0, d = 0.0
        while i < x.count && j < y.count {
            let v = min(x[i], y[j])
            while i < x.count && x[i] <= v { i += 1 }
            while j < y.count && y[j] <= v { j += 1 }
            d = max(d, abs(Double(i) / Double(x.count) - Double(j) / Double(y.count)))
        }
        let en = (Double(x.count * y.count) / Double(x.count + y.count)).squareRoot()
        let lambda = (en + 0.12 + 0.11 / en) * d
        var sum = 0.0
        for k in 1...100 {
            let term = exp(-2 * Double(k * k) * lambda * lambda)
            sum += (k % 2 == 1 ? 2 : -2) * term
            if term < 1e-12 { break }
        }
        return min(max(sum, 0), 1)
    }

    /// The smallest p-value over layers 1, 4 and 8 of the per-network time-averaged rates.
    func smallestPValue(full: SimulationStatistics, reduced: SimulationStatistics) -> Double {
        [1, 4, 8].map { l in
            Self.kolmogorovSmirnovPValue(full.timeAveragedNetworkRates(layer: l),
                                         reduced.timeAveragedNetworkRates(layer: l))
        }.min()!
    }

    /// The full simulation both tests below compare against, run once.
    static let full = Simulator.run(try! ReducedSamplerTests().configuration(leak: 0.9, seed: 11))

    /// At the 1% level with a Bonferroni correction over the three layers (each p > 0.01 / 3).
    @Test func reducedSamplerMatchesTheFullSimulatorInDistribution() throws {
        let reduced = ReducedSampler.run(try configuration(leak: 0.9, seed: 12))
        let p = smallestPValue(full: Self.full, reduced: reduced)
        #expect(p > 0.01 / 3, "smallest p-value \(p)")
    }

    /// The same test has the power to see a wrong leak (0.8 instead of 0.9).
    @Test func theDistributionTestRejectsAWrongLeak() throws {
        let wrong = ReducedSampler.run(try configuration(leak: 0.8, seed: 12))
        let p = smallestPValue(full: Self.full, reduced: wrong)
        #expect(p < 0.01 / 3, "smallest p-value \(p)")
    }

    @Test func kolmogorovSmirnovSeparatesShiftedSamplesAndAcceptsEqualOnes() {
        var rng = Xoshiro256StarStar(seed: 5)
        let a = (0..<400).map { _ in rng.nextUnitDouble() }, b = (0..<400).map { _ in rng.nextUnitDouble() }
        #expect(Self.kolmogorovSmirnovPValue(a, b) > 0.01)
        #expect(Self.kolmogorovSmirnovPValue(a, b.map { $0 + 0.15 }) < 1e-4)
    }

    /// A constant analog input makes the first overlap matrix |x|^2 everywhere (rank one): the sampler must handle
    /// the singular covariance and still agree with the full simulator at layer 1, t = 1 (rate within 4 standard errors).
    @Test func analogInputWithSingularOverlapAgreesAtTheFirstLayer() throws {
        let width = 200
        let c = try SimulationConfiguration(
            network: Network(architecture: Architecture(inputSize: width, width: width, depth: 3),
                             neuron: NeuronModel(threshold: 1, leak: 0.9),
                             steps: 3, input: .gaussian(std: 1),
                             initialization: .variances(Array(repeating: 1 / Double(width), count: 3), name: "given")),
            batch: 1, networks: 200, seed: 3, threads: 2)
        let full = Simulator.run(c), reduced = ReducedSampler.run(c)
        for t in 0..<3 {
            let a = full.layers[0].steps[t].rate, b = reduced.layers[0].steps[t].rate
            let se = ((a.standardError ?? 0) * (a.standardError ?? 0) + (b.standardError ?? 0) * (b.standardError ?? 0)).squareRoot()
            #expect(abs(a.mean - b.mean) <= 4 * se, "t=\(t + 1): \(a.mean) vs \(b.mean) ± \(se)")
            #expect(!b.mean.isNaN)
        }
    }
}
