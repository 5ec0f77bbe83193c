import Foundation
import SNNModel
import SNNSimulator
import Testing

/// A direct, slow implementation of the same network for comparison: the same streams give the same inputs and
/// weights; currents are summed in Double (then rounded to Float32) over all inputs, so it shares no code path
/// with the simulator's products; the neuron update is `LIFUpdate.step` on Float. Returns, per layer and step,
/// (mean of u, unbiased variance of u, rate) over neurons x batch, for network `r`.
func referenceSimulation(_ c: SimulationConfiguration, network r: Int) -> [[(mean: Double, variance: Double, rate: Double)]] {
    let widths = c.architecture.widths
    let lif = LIFUpdate(c.neuron)
    // activity[b][t][i]: the input of the current layer.
    var activity: [[[Float]]] = (0..<c.batch).map { b in
        var rng = Xoshiro256StarStar(seed: c.seed, network: r, layer: 0, block: b)
        switch c.input {
        case let .bernoulli(rate):
            let threshold = Xoshiro256StarStar.bernoulliThreshold(probability: rate)
            return (0..<c.steps).map { _ in (0..<widths[0]).map { _ in rng.nextBernoulli(threshold53: threshold) ? 1 : 0 } }
        case let .gaussian(std):
            var x = [Float](repeating: 0, count: widths[0])
            x.withUnsafeMutableBufferPointer { rng.fillNormal($0.baseAddress!, count: widths[0], scale: Float(std)) }
            return Array(repeating: x, count: c.steps)
        }
    }
    var statistics: [[(mean: Double, variance: Double, rate: Double)]] = []
    for l in 1..<widths.count {
        let fanIn = widths[l - 1], width = widths[l], v = c.weightVariances[l - 1]
        let weights: [[Float]] = (0..<fanIn).map { j in
            var rng = Xoshiro256StarStar(seed: c.seed, network: r, layer: l, block: j)
            var column = [Float](repeating: 0, count: width)
            column.withUnsafeMutableBufferPointer { p in
                switch c.weightDistribution {
                case .gaussian: rng.fillNormal(p.baseAddress!, count: width, scale: Float(v.squareRoot()))
                case .uniform: rng.fillUniform(p.baseAddress!, count: width, halfWidth: Float((3 * v).squareRoot()))
                }
            }
            return column
        }
        var potentials = [[[Float]]](repeating: [[Float]](repeating: [], count: c.steps), count: c.batch)
        var spikes = potentials
        for b in 0..<c.batch {
            var u = [Float](repeating: 0, count: width), s = [Float](repeating: 0, count: width)
            for t in 0..<c.steps {
                for i in 0..<width {
                    var current = 0.0
                    for j in 0..<fanIn where activity[b][t][j] != 0 { current += Double(weights[j][i]) * Double(activity[b][t][j]) }
                    (u[i], s[i]) = lif.step(potential: u[i], spike: s[i], current: Float(current))
                }
                potentials[b][t] = u
                spikes[b][t] = s
            }
        }
        statistics.append((0..<c.steps).map { t in
            let values = (0..<c.batch).flatMap { potentials[$0][t] }.map(Double.init)
            let n = Double(values.count)
            let mean = values.reduce(0, +) / n
            let variance = values.count > 1 ? values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1) : 0
            let fired = (0..<c.batch).reduce(0.0) { $0 + Double(spikes[$1][t].reduce(0, +)) }
            return (mean, variance, fired / n)
        })
        activity = spikes
    }
    return statistics
}

@Suite struct SimulatorTests {
    /// Widths that exercise several neuron tiles (150 > 128), partial 32-neuron panels (70, 150), an odd batch,
    /// several steps (incremental current updates) and the sparse and dense routes.
    static func configuration(input: InputEncoding, widths: [Int], distribution: WeightDistribution = .gaussian,
                              reset: Reset = .subtract, steps: Int = 6, batch: Int = 3, networks: Int = 2,
                              seed: UInt64 = 42, threads: Int = 1) throws -> SimulationConfiguration {
        let fanIns = widths.dropLast().map(Double.init)
        let inputMoment = input.secondMoment
        let variances = fanIns.enumerated().map { l, n in l == 0 ? 1.2 / (n * inputMoment) : 1.2 / (n * 0.1587) }
        return try SimulationConfiguration(
            network: Network(architecture: Architecture(widths: widths),
                             neuron: NeuronModel(threshold: 1, leak: 0.8, reset: reset),
                             steps: steps, input: input,
                             initialization: .variances(variances, name: "given"), weightDistribution: distribution),
            batch: batch, networks: networks, seed: seed, threads: threads)
    }

    static func expectAgreesWithReference(_ c: SimulationConfiguration) {
        let result = Simulator.run(c)
        for r in 0..<c.networks {
            let reference = referenceSimulation(c, network: r)
            for (l, layer) in reference.enumerated() {
                for (t, expected) in layer.enumerated() {
                    let step = result.layers[l].steps[t]
                    #expect(step.networkRates[r] == expected.rate, "network \(r) layer \(l + 1) step \(t + 1)")
                    #expect(abs(step.networkMembraneMeans[r] - expected.mean) <= 1e-5)
                    #expect(abs(step.networkMembraneVariances[r] - expected.variance) <= 1e-5 * max(1, expected.variance))
                }
            }
        }
    }

    @Test(arguments: Reset.allCases)
    func spikeInputNetworkMatchesDirectReference(reset: Reset) throws {
        Self.expectAgreesWithReference(try Self.configuration(input: .bernoulli(rate: 0.2), widths: [150, 150, 70, 150],
                                                              reset: reset))
    }

    @Test func analogInputAndUniformWeightsMatchDirectReference() throws {
        Self.expectAgreesWithReference(try Self.configuration(input: .gaussian(std: 0.7), widths: [20, 40, 37],
                                                              distribution: .uniform, steps: 3, batch: 2))
    }

    @Test func denseSpikeInputMatchesDirectReference() throws {
        // Input rate 0.9: most inputs on at every step, so most columns update the previous step's currents;
        // over 8 columns every input spikes at least once (all but surely), so no input is left out.
        Self.expectAgreesWithReference(try Self.configuration(input: .bernoulli(rate: 0.9), widths: [30, 33, 9],
                                                              steps: 4, batch: 2))
        // One column of 60 inputs at rate 0.9: about 6 never spike (none with probability 0.9^60 = 0.2%), so their
        // weights are never drawn.
        Self.expectAgreesWithReference(try Self.configuration(input: .bernoulli(rate: 0.9), widths: [60, 33, 9],
                                                              steps: 1, batch: 1))
    }

    /// Same seed, 1, 2 and 3 threads: identical statistics, bit for bit (across networks, and inside one network).
    @Test func statisticsDoNotDependOnThreadCount() throws {
        for networks in [1, 3] {
            let runs = try [1, 2, 3].map { threads in
                Simulator.run(try Self.configuration(input: .bernoulli(rate: 0.2), widths: [300, 260, 300],
                                                     steps: 5, batch: 7, networks: networks, seed: 9, threads: threads))
            }
            #expect(runs[0].layers == runs[1].layers)
            #expect(runs[0].layers == runs[2].layers)
        }
    }

    @Test func seedChangesTheDraws() throws {
        let a = Simulator.run(try Self.configuration(input: .bernoulli(rate: 0.2), widths: [50, 50], seed: 1))
        let b = Simulator.run(try Self.configuration(input: .bernoulli(rate: 0.2), widths: [50, 50], seed: 2))
        #expect(a.layers != b.layers)
    }

    @Test func standardErrorsFollowTheNetworkValues() throws {
        let result = Simulator.run(try Self.configuration(input: .bernoulli(rate: 0.2), widths: [40, 40], networks: 5))
        let step = result.layers[0].steps[2]
        let rates = step.networkRates
        let mean = rates.reduce(0, +) / 5
        let sd = (rates.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 4).squareRoot()
        #expect(abs(step.rate.mean - mean) < 1e-15)
        #expect(abs(try #require(step.rate.standardError) - sd / 5.0.squareRoot()) < 1e-15)
        let single = Simulator.run(try Self.configuration(input: .bernoulli(rate: 0.2), widths: [40, 40], networks: 1))
        #expect(single.layers[0].steps[0].rate.standardError == nil)
        #expect(single.layers[0].silentFractionStandardError == nil)
    }

    @Test func reportsWorkloadAndProgress() throws {
        let c = try Self.configuration(input: .bernoulli(rate: 0.2), widths: [20, 30, 10], steps: 2, batch: 3,
                                       networks: 4, threads: 2)
        let calls = ProgressLog()
        let result = Simulator.run(c) { finished, total in calls.append(finished, total) }
        #expect(result.synapticEvents == Double((20 * 30 + 30 * 10) * 3 * 2 * 4))
        #expect(result.elapsedSeconds > 0)
        #expect(calls.values.map(\.0).sorted() == [1, 2, 3, 4])
        #expect(calls.values.allSatisfy { $0.1 == 4 })
    }

    @Test func rejectsInvalidParameters() throws {
        let architecture = try Architecture(widths: [10, 10, 10])
        let neuron = try NeuronModel(threshold: 1)
        func make(variances: [Double] = [0.1, 0.1], steps: Int = 1, batch: Int = 1, networks: Int = 1,
                  threads: Int = 1) throws -> SimulationConfiguration {
            try SimulationConfiguration(
                network: Network(architecture: architecture,
                                 neuron: neuron,
                                 steps: steps, input: .bernoulli(rate: 0.5),
                                 initialization: .variances(variances, name: "given")),
                batch: batch, networks: networks, threads: threads)
        }
        #expect(throws: ModelError.self) { try make(variances: [0.1]) }
        #expect(throws: ModelError.self) { try make(variances: [0.1, -1]) }
        #expect(throws: ModelError.self) { try make(variances: [0.1, .nan]) }
        #expect(throws: ModelError.self) { try make(steps: 0) }
        #expect(throws: ModelError.self) { try make(batch: 0) }
        #expect(throws: ModelError.self) { try make(networks: 0) }
        #expect(throws: ModelError.self) { try make(threads: 0) }
        #expect(throws: Never.self) { try make() }
    }

    @Test func refusesRunsLargerThanTheMemoryLimitWithTheEstimate() throws {
        let architecture = try Architecture(inputSize: 1000, width: 1000, depth: 2)
        let neuron = try NeuronModel(threshold: 1)
        func make(batch: Int, limit: Int?) throws -> SimulationConfiguration {
            try SimulationConfiguration(
                network: Network(architecture: architecture,
                                 neuron: neuron,
                                 steps: 10, input: .bernoulli(rate: 0.2),
                                 initialization: .variances([0.001, 0.001], name: "given")),
                batch: batch, memoryLimit: limit)
        }
        let small = try make(batch: 1, limit: nil)
        // One weight matrix (n rounded up to 32 x n_in floats) at least.
        #expect(small.estimatedBytes > 4 * 1024 * 1000)
        #expect(small.memoryLimit == SimulationConfiguration.defaultMemoryLimit)
        let huge = try #require(try? make(batch: 1, limit: nil).estimatedBytes)
        do {
            _ = try make(batch: 1, limit: huge - 1)
            Issue.record("expected a refusal")
        } catch let error as SimulationError {
            #expect(error == .insufficientMemory(estimatedBytes: huge, limitBytes: huge - 1))
            #expect(error.description.contains("MB"))
        }
        // A batch far beyond memory is refused by default, before anything is allocated.
        #expect(throws: SimulationError.self) { try make(batch: 1_000_000, limit: nil) }
    }
}

/// Collects progress callbacks from worker threads.
final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var log: [(Int, Int)] = []

    func append(_ finished: Int, _ total: Int) {
        lock.lock()
        log.append((finished, total))
        lock.unlock()
    }

    var values: [(Int, Int)] {
        lock.lock()
        defer { lock.unlock() }
        return log
    }
}
