import SNNModel
@testable import SNNSimulator
import Testing

/// The currents I = W_l S have one definition in Float32 (`NetworkWorkspace.simulateLayer`): per neuron, a sum in
/// increasing input order, from zero or (spike inputs, t > 1, fewer inputs changed than are on) from the previous
/// step's current with the inputs that switched on added and those that switched off subtracted. These tests hold
/// both routes to that definition bit for bit, computed here one scalar at a time, so a seed gives the same numbers
/// on every CPU: nothing in either route may depend on a BLAS kernel, the vector width or the thread count.
@Suite struct CurrentRouteTests {
    /// Layer 1's currents by the definition, one neuron and one column at a time in scalar Float32 (column c = b T + t,
    /// or c = b for an analog input held over the steps).
    static func definedCurrents(_ c: SimulationConfiguration, network r: Int) -> [Float] {
        let n0 = c.architecture.widths[0], n1 = c.architecture.widths[1]
        let v = c.weightVariances[0]
        let weights: [[Float]] = (0..<n0).map { j in
            var rng = Xoshiro256StarStar(seed: c.seed, network: r, layer: 1, block: j)
            var column = [Float](repeating: 0, count: n1)
            column.withUnsafeMutableBufferPointer { rng.fillNormal($0.baseAddress!, count: n1, scale: Float(v.squareRoot())) }
            return column
        }
        var currents: [Float] = []
        switch c.input {
        case let .gaussian(std):
            for b in 0..<c.batch {
                var rng = Xoshiro256StarStar(seed: c.seed, network: r, layer: 0, block: b)
                var x = [Float](repeating: 0, count: n0)
                x.withUnsafeMutableBufferPointer { rng.fillNormal($0.baseAddress!, count: n0, scale: Float(std)) }
                for i in 0..<n1 {
                    var sum: Float = 0
                    for j in 0..<n0 { sum += weights[j][i] * x[j] }
                    currents.append(sum)
                }
            }
        case let .bernoulli(rate):
            let threshold = Xoshiro256StarStar.bernoulliThreshold(probability: rate)
            for b in 0..<c.batch {
                var rng = Xoshiro256StarStar(seed: c.seed, network: r, layer: 0, block: b)
                var before = [Bool](repeating: false, count: n0)
                var previous = [Float](repeating: 0, count: n1)
                for t in 0..<c.steps {
                    let now = (0..<n0).map { _ in rng.nextBernoulli(threshold53: threshold) }
                    let spiking = now.filter { $0 }.count
                    let changed = (0..<n0).filter { now[$0] != before[$0] }.count
                    let incremental = t > 0 && changed < spiking
                    for i in 0..<n1 {
                        var sum: Float = incremental ? previous[i] : 0
                        for j in 0..<n0 where incremental ? now[j] && !before[j] : now[j] { sum += weights[j][i] }
                        if incremental {
                            for j in 0..<n0 where before[j] && !now[j] { sum -= weights[j][i] }
                        }
                        previous[i] = sum
                    }
                    currents += previous
                    before = now
                }
            }
        }
        return currents
    }

    /// Simulates network r with a forced route; returns layer 1's currents (when the network has one layer) and
    /// the per-layer, per-step statistics as bit patterns.
    static func run(_ c: SimulationConfiguration, route: NetworkWorkspace.CurrentRoute, network r: Int)
        -> (currents: [UInt32], statistics: [UInt64], silent: [Bool]) {
        let depth = c.architecture.depth
        let results = NetworkResults(networks: 1, layers: depth, steps: c.steps)
        let workspace = NetworkWorkspace(configuration: c, forcedRoute: route)
        workspace.simulate(network: r, into: results, offset: 0, silentOffset: 0)
        let columns: Int
        if case .gaussian = c.input { columns = c.batch } else { columns = c.batch * c.steps }
        let currents = depth == 1 ? (0..<c.architecture.widths[1] * columns).map { workspace.currents[$0].bitPattern } : []
        let statistics = [results.means, results.variances, results.rates].flatMap { $0.map(\.bitPattern) }
        return (currents, statistics, Array(results.silent))
    }

    static func configuration(input: InputEncoding, widths: [Int], reset: Reset = .subtract, steps: Int = 5,
                              batch: Int = 4, seed: UInt64 = 7, threads: Int = 1) throws -> SimulationConfiguration {
        let variances = widths.dropLast().enumerated().map { l, n in
            l == 0 ? 1.0 / (Double(n) * input.secondMoment) : 1.0 / (Double(n) * 0.3)
        }
        return try SimulationConfiguration(
            network: Network(architecture: Architecture(widths: widths),
                             neuron: NeuronModel(threshold: 0.5, leak: 0.9, reset: reset),
                             steps: steps, input: input,
                             initialization: .variances(variances, name: "given"), weightDistribution: .gaussian),
            batch: batch, networks: 1, seed: seed, threads: threads)
    }

    /// Widths below, at and across the 32-neuron panel and 128-neuron tile (partial panels, several tiles), input
    /// rates from sparse to every input always on, an odd batch (a missing third column in the dense route's strips).
    @Test(arguments: [(37, 33), (64, 128), (200, 150), (513, 257)], [0.1, 0.3, 0.6, 0.9, 1.0])
    func bothRoutesComputeTheDefinedCurrents(widths: (Int, Int), rate: Double) throws {
        for batch in [4, 5] {
            let c = try Self.configuration(input: .bernoulli(rate: rate), widths: [widths.0, widths.1], batch: batch)
            let defined = Self.definedCurrents(c, network: 0).map(\.bitPattern)
            let sparse = Self.run(c, route: .sparse, network: 0), dense = Self.run(c, route: .dense, network: 0)
            #expect(defined.count == widths.1 * batch * c.steps)
            #expect(sparse.currents == defined, "sparse route, widths \(widths), rate \(rate), batch \(batch)")
            #expect(dense.currents == defined, "dense route, widths \(widths), rate \(rate), batch \(batch)")
            #expect(sparse.statistics == dense.statistics)
        }
    }

    /// Premise of the test above: at least one of its cases takes each form of the sum (from zero at t > 1, and
    /// incremental), or the comparison would not reach the incremental branch of both routes.
    @Test func theDefinedSumTakesBothForms() throws {
        var forms = Set<Bool>()
        for rate in [0.1, 0.9] {
            let c = try Self.configuration(input: .bernoulli(rate: rate), widths: [200, 150])
            let workspace = NetworkWorkspace(configuration: c, forcedRoute: .dense)
            workspace.simulate(network: 0, into: NetworkResults(networks: 1, layers: 1, steps: c.steps), offset: 0,
                               silentOffset: 0)
            for b in 0..<c.batch {
                for t in 1..<c.steps { forms.insert(workspace.listIncremental[b * c.steps + t]) }
            }
        }
        #expect(forms == [false, true])
    }

    /// An analog input's currents: the rounded products summed in increasing input order, from zero.
    @Test(arguments: [(20, 40), (128, 37), (300, 130)])
    func analogInputCurrentsFollowTheDefinition(widths: (Int, Int)) throws {
        let c = try Self.configuration(input: .gaussian(std: 0.8), widths: [widths.0, widths.1], steps: 3, batch: 5)
        let defined = Self.definedCurrents(c, network: 0).map(\.bitPattern)
        #expect(defined.count == widths.1 * c.batch)
        #expect(Self.run(c, route: .dense, network: 0).currents == defined)
    }

    /// Deeper networks, both resets: the routes agree bit for bit on every layer's statistics and silent flags,
    /// whichever route the data would pick at each layer.
    @Test(arguments: Reset.allCases, [0.2, 0.5, 0.8, 1.0])
    func routesGiveIdenticalStatisticsThroughDepth(reset: Reset, rate: Double) throws {
        let c = try Self.configuration(input: .bernoulli(rate: rate), widths: [150, 97, 260, 64, 130], reset: reset)
        for r in 0..<2 {
            let sparse = Self.run(c, route: .sparse, network: r), dense = Self.run(c, route: .dense, network: r)
            #expect(sparse.statistics == dense.statistics, "network \(r)")
            #expect(sparse.silent == dense.silent)
            #expect(sparse.statistics.contains { $0 != 0 })
        }
    }

    /// Dense spikes (the dense route at every layer) and an analog input: the same statistics for 1, 2 and 3 threads.
    @Test(arguments: [InputEncoding.bernoulli(rate: 0.8), .gaussian(std: 1)])
    func denseRouteDoesNotDependOnThreadCount(input: InputEncoding) throws {
        let runs = try [1, 2, 3].map { threads in
            Simulator.run(try Self.configuration(input: input, widths: [300, 260, 300], steps: 4, batch: 7,
                                                 threads: threads))
        }
        #expect(runs[0].layers == runs[1].layers)
        #expect(runs[0].layers == runs[2].layers)
    }
}
