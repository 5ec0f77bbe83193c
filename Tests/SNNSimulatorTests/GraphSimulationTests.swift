import Foundation
import NIR
import SNNModel
@testable import SNNSimulator
import SNNTestSupport
import Testing

/// `GraphSimulation` against a scalar reference written here from `NetworkGraph`'s documentation, thread-count
/// independence, its input streams, and its refusals.
@Suite struct GraphSimulationTests {
    static func node(_ name: String, _ operation: NetworkGraph.Operation, inputs: [Int], delayed: [Int] = [],
                     _ inputShape: [Int], _ outputShape: [Int]? = nil) -> NetworkGraph.Node {
        .init(name: name, operation: operation, inputs: inputs, delayedInputs: delayed, inputShape: inputShape,
              outputShape: outputShape ?? inputShape)
    }

    /// Multiples of 1/16 in [-1.5, 1.5] from a fixed stream: sums of a few of them times small integers are exact in
    /// Float32 in any order, so the matrix products must equal the reference's sums bit for bit.
    static func dyadic(_ count: Int, stream: Int) -> [Float] {
        var rng = Xoshiro256StarStar(seed: 5, network: 0, layer: 1, block: stream)
        return (0..<count).map { _ in Float(Int(rng.next() % 49) - 24) / 16 }
    }

    static func dense(_ outputs: Int, _ inputs: Int, stream: Int, bias: Bool) -> NetworkGraph.Operation {
        .dense(.init(outputs: outputs, inputs: inputs, weight: dyadic(outputs * inputs, stream: stream),
                     bias: bias ? dyadic(outputs, stream: stream + 100).map { $0 / 2 } : []))
    }

    /// input [6] -> dense -> lif1 (subtract reset, per-neuron leak, gain, bias, threshold) with a recurrent dense
    /// edge lif1 -> rec -> lif1 one step late; lif1 -> dense and input -> skip (dense) both into lif2 (synaptic leak,
    /// multi-spike, subtract); lif2 -> dense -> lif3 (reset to per-neuron values); lif3 -> li (no threshold) ->
    /// output.
    static var tinyGraph: NetworkGraph {
        NetworkGraph(nodes: [
            node("input", .input, inputs: [], [6]),
            node("fc1", dense(5, 6, stream: 1, bias: true), inputs: [0], [6], [5]),
            node("lif1", .neurons(.init(leak: [0.5, 0.75, 1, 0.25, 0.875], synapticLeak: nil,
                                        gain: [1, 0.5, 1, 2, 1.25], threshold: [1, 0.75, 1.5, 1, 0.5],
                                        resetValue: nil, bias: [0.0625, 0, -0.125, 0.25, 0], multiSpike: false)),
                 inputs: [1], delayed: [3], [5]),
            node("rec", dense(5, 5, stream: 2, bias: false), inputs: [2], [5]),
            node("skip", dense(4, 6, stream: 3, bias: false), inputs: [0], [6], [4]),
            node("fc2", dense(4, 5, stream: 4, bias: true), inputs: [2], [5], [4]),
            node("lif2", .neurons(.init(leak: [0.5, 0.75, 0.875, 1], synapticLeak: [0.5, 0.25, 0.75, 0],
                                        gain: [1, 1, 0.5, 1], threshold: [0.5, 0.25, 1, 0.75], resetValue: nil,
                                        bias: [0, 0.125, 0, -0.0625], multiSpike: true)),
                 inputs: [5, 4], [4]),
            node("fc3", dense(3, 4, stream: 5, bias: true), inputs: [6], [4], [3]),
            node("lif3", .neurons(.init(leak: [0.75, 0.5, 0.875], synapticLeak: nil, gain: [1, 1, 1],
                                        threshold: [0.5, 1, 0.75], resetValue: [0, -0.5, 0.25], bias: [0, 0, 0.125],
                                        multiSpike: false)),
                 inputs: [7], [3]),
            node("li", .neurons(.init(leak: [0.5, 0.25, 0.75], synapticLeak: nil, gain: [1, 0.5, 1], threshold: nil,
                                      resetValue: nil, bias: [0, 0.0625, 0], multiSpike: false)),
                 inputs: [8], [3]),
            node("output", .output, inputs: [9], [3]),
        ])
    }

    /// Per step, node, sample: the node's outputs, and for neuron nodes the membrane u before the reset; computed one
    /// scalar at a time from `NetworkGraph`'s documentation.
    static func reference(_ graph: NetworkGraph, input x: [Float], batch: Int, steps: Int)
        -> (outputs: [[[[Float]]]], membranes: [[[[Float]]]]) {
        let nodes = graph.nodes
        var v = nodes.map { [[Float]](repeating: [Float](repeating: 0, count: $0.outputCount), count: batch) }
        var current = v
        var previous = v
        var outputs: [[[[Float]]]] = [], membranes: [[[[Float]]]] = []
        for t in 0..<steps {
            var now = v, u = v
            for (i, node) in nodes.enumerated() {
                for b in 0..<batch {
                    let n0 = node.inputCount
                    var input = [Float](repeating: 0, count: n0)
                    if case .input = node.operation {
                        input = Array(x[(b * steps + t) * n0 ..< (b * steps + t + 1) * n0])
                    } else {
                        let sources = node.inputs.map { now[$0][b] } + node.delayedInputs.map { previous[$0][b] }
                        input = sources[0]
                        for source in sources.dropFirst() { for j in 0..<n0 { input[j] += source[j] } }
                    }
                    switch node.operation {
                    case .input, .output, .flatten:
                        now[i][b] = input
                    case .dense(let d):
                        now[i][b] = (0..<d.outputs).map { o in
                            var sum: Float = 0
                            for j in 0..<d.inputs { sum += d.weight[o * d.inputs + j] * input[j] }
                            return d.bias.isEmpty ? sum : sum + d.bias[o]
                        }
                    case .neurons(let p):
                        for k in 0..<p.count {
                            var drive = input[k]
                            if let alpha = p.synapticLeak {
                                drive = alpha[k] * current[i][b][k] + input[k]
                                current[i][b][k] = drive
                            }
                            var potential = p.leak[k] * v[i][b][k] + p.gain[k] * drive + p.bias[k]
                            u[i][b][k] = potential
                            guard let theta = p.threshold?[k] else {
                                now[i][b][k] = potential
                                v[i][b][k] = potential
                                continue
                            }
                            var spikes: Float = 0
                            if p.multiSpike {
                                if potential >= theta { spikes = (potential / theta).rounded(.down) }
                            } else if potential > theta {
                                spikes = 1
                            }
                            if spikes > 0 {
                                if let reset = p.resetValue { potential = reset[k] } else { potential -= theta * spikes }
                            }
                            now[i][b][k] = spikes
                            v[i][b][k] = potential
                        }
                    default:
                        Issue.record("the reference has no \(node.operation)")
                    }
                }
            }
            previous = now
            outputs.append(now)
            membranes.append(u)
        }
        return (outputs, membranes)
    }

    static func spikeArray(batch: Int, steps: Int, count: Int, p: Double, stream: Int) -> [Float] {
        var rng = Xoshiro256StarStar(seed: 9, network: 0, layer: 0, block: stream)
        let threshold = Xoshiro256StarStar.bernoulliThreshold(probability: p)
        return (0..<batch * steps * count).map { _ in rng.nextBernoulli(threshold53: threshold) ? 1 : 0 }
    }

    @Test func tinyGraphEqualsTheScalarReferenceStepByStep() throws {
        let graph = Self.tinyGraph
        let (batch, steps) = (3, 8)
        let x = Self.spikeArray(batch: batch, steps: steps, count: 6, p: 0.5, stream: 1)
        let simulation = try GraphSimulation(graph: graph, steps: steps, batch: batch,
                                             input: .array(values: x, shape: [batch, steps, 6]), threads: 2)
        let (outputs, membranes) = Self.reference(graph, input: x, batch: batch, steps: steps)
        let workspace = GraphWorkspace(simulation)
        for t in 0..<steps {
            try workspace.step(t + 1)
            for (i, node) in graph.nodes.enumerated() {
                let got = Array(UnsafeBufferPointer(start: workspace.outputs[i], count: batch * node.outputCount))
                let expected = outputs[t][i].flatMap { $0 }
                #expect(got.map(\.bitPattern) == expected.map(\.bitPattern), "step \(t + 1), node \(node.name)")
            }
        }
        // The graph exercises what it should: lif1 spikes (so the recurrent edge carries something), lif2 emits
        // several spikes in one step, lif3 resets to its values.
        let spikes = { (node: Int) in outputs.flatMap { $0[node].flatMap { $0 } } }
        #expect(spikes(2).filter { $0 > 0 }.count >= 5)
        #expect(spikes(6).contains { $0 >= 2 })
        #expect(spikes(8).filter { $0 > 0 }.count >= 3)

        // The statistics from the same membranes and spikes.
        let statistics = try simulation.run()
        #expect(statistics.layers.map(\.node) == [2, 6, 8, 9])
        for layer in statistics.layers {
            let n = Double(layer.neurons)
            for t in 0..<steps {
                let u = membranes[t][layer.node].map { $0.map(Double.init) }
                let means = u.map { $0.reduce(0, +) / n }
                let all = u.flatMap { $0 }
                let mean = all.reduce(0, +) / Double(all.count)
                let variance = all.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(all.count - 1)
                let step = layer.steps[t]
                #expect(abs(step.membraneMean.mean - means.reduce(0, +) / Double(batch)) <= 1e-12)
                #expect(abs(step.membraneVariance.mean - variance) <= 1e-12 * max(1, variance))
                guard layer.spiking else {
                    #expect(step.rate == nil && step.silentFraction == nil)
                    continue
                }
                let counts = outputs[t][layer.node].map { $0.reduce(0) { $0 + Double($1) } }
                let rates = counts.map { $0 / n }
                #expect(step.rate == Estimate(samples: rates))
                let silent = (0..<layer.neurons).filter { i in (0..<batch).allSatisfy { outputs[t][layer.node][$0][i] == 0 } }
                #expect(step.silentFraction == Double(silent.count) / n)
            }
            guard layer.spiking else { continue }
            for i in 0..<layer.neurons {
                let first = (0..<batch).reduce(0.0) { $0 + Double(outputs[0][layer.node][$1][i]) }
                let all = (0..<steps).reduce(0.0) { t, step in
                    t + (0..<batch).reduce(0.0) { $0 + Double(outputs[step][layer.node][$1][i]) }
                }
                #expect(layer.firstStepNeuronRates?[i] == first / Double(batch))
                #expect(layer.neuronRates?[i] == all / Double(batch * steps))
            }
        }
    }

    /// At v = theta exactly a neuron does not spike and a multi-spike neuron spikes once; floor(v / theta) spikes
    /// from there on. Here v = bias at every step (leak 0, gain 0), each a multiple of theta = 0.5.
    @Test func thresholdEqualityFollowsTheFiringRule() throws {
        let bias: [Float] = [0.25, 0.5, 0.75, 1, 1.25, 1.5]
        let layer = { (multiSpike: Bool) in
            NetworkGraph.Operation.neurons(.init(
                leak: .init(repeating: 0, count: 6), synapticLeak: nil, gain: .init(repeating: 0, count: 6),
                threshold: .init(repeating: 0.5, count: 6), resetValue: nil, bias: bias, multiSpike: multiSpike))
        }
        let graph = NetworkGraph(nodes: [
            Self.node("input", .input, inputs: [], [6]),
            Self.node("single", layer(false), inputs: [0], [6]),
            Self.node("multi", layer(true), inputs: [0], [6]),
        ])
        let workspace = GraphWorkspace(try GraphSimulation(graph: graph, steps: 2, batch: 1,
                                                           input: .encoding(.bernoulli(rate: 0.5))))
        for t in 1...2 {
            try workspace.step(t)
            #expect(Array(UnsafeBufferPointer(start: workspace.outputs[1], count: 6)) == [0, 0, 1, 1, 1, 1])
            #expect(Array(UnsafeBufferPointer(start: workspace.outputs[2], count: 6)) == [0, 1, 1, 2, 2, 3])
        }
    }

    /// Var[u]'s standard error by batch means: G = min(8, B / 2) groups of consecutive samples.
    @Test func varianceErrorComesFromGroupsOfSamples() throws {
        let graph = Self.tinyGraph
        let (batch, steps) = (10, 2)
        let x = Self.spikeArray(batch: batch, steps: steps, count: 6, p: 0.5, stream: 2)
        let statistics = try GraphSimulation(graph: graph, steps: steps, batch: batch,
                                             input: .array(values: x, shape: [batch, steps, 6])).run()
        #expect(statistics.varianceGroups == 5)
        let (_, membranes) = Self.reference(graph, input: x, batch: batch, steps: steps)
        let pooled = { (values: [Double]) -> Double in
            let mean = values.reduce(0, +) / Double(values.count)
            return values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
        }
        for layer in statistics.layers {
            for t in 0..<steps {
                let groups = (0..<5).map { g in
                    pooled((2 * g..<2 * g + 2).flatMap { membranes[t][layer.node][$0].map(Double.init) })
                }
                let expected = Estimate(samples: groups).standardError!
                let got = layer.steps[t].membraneVariance.standardError!
                #expect(abs(got - expected) <= 1e-12 * max(1, expected), "\(layer.name) step \(t + 1)")
            }
        }
        let single = try GraphSimulation(graph: graph, steps: 1, batch: 3, input: .encoding(.bernoulli(rate: 0.5))).run()
        #expect(single.varianceGroups == 1)
        #expect(single.layers.allSatisfy { $0.steps[0].membraneVariance.standardError == nil })
    }

    static var sinabsCNN: NetworkGraph {
        get throws {
            let path = Repository.path("Tests/Fixtures/nir/real/cnn_sinabs.nir")
            return try NIRGraph.read(path: path).networkGraph(file: path, convention: .sinabs, step: 1)
        }
    }

    /// Every node's outputs after `steps` steps, and the statistics.
    static func finalState(_ simulation: GraphSimulation) throws -> ([[UInt32]], [GraphLayerStatistics]) {
        let workspace = GraphWorkspace(simulation)
        for t in 1...simulation.steps { try workspace.step(t) }
        let outputs = simulation.graph.nodes.indices.map { i in
            Array(UnsafeBufferPointer(start: workspace.outputs[i],
                                      count: simulation.batch * simulation.graph.nodes[i].outputCount)).map(\.bitPattern)
        }
        return (outputs, try simulation.run().layers)
    }

    @Test(arguments: [GraphInput.encoding(.bernoulli(rate: 0.3)), .encoding(.gaussian(std: 1.5))])
    func resultsDoNotDependOnTheThreadCount(input: GraphInput) throws {
        for (graph, batch) in [(try Self.sinabsCNN, 5), (Self.tinyGraph, 7)] {
            let runs = try [1, 2, 3].map { threads in
                try Self.finalState(GraphSimulation(graph: graph, steps: 3, batch: batch, input: input, seed: 4,
                                                    threads: threads))
            }
            #expect(runs[0].1.contains { $0.steps.contains { ($0.rate?.mean ?? 0) > 0 } }, "some spikes")
            for run in runs.dropFirst() {
                #expect(run.0 == runs[0].0)
                #expect(run.1 == runs[0].1)
            }
        }
    }

    /// Batch item b of input node k draws from stream (seed, 0, k, b): Bernoulli elements in order, step after step;
    /// Gaussian values once, held.
    @Test func inputsComeFromTheirStreams() throws {
        let graph = NetworkGraph(nodes: [
            Self.node("input", .input, inputs: [], [4]),
            Self.node("output", .output, inputs: [0], [4]),
        ])
        let (batch, steps, seed) = (3, 4, UInt64(21))
        for input in [GraphInput.encoding(.bernoulli(rate: 0.4)), .encoding(.gaussian(std: 2))] {
            let workspace = GraphWorkspace(try GraphSimulation(graph: graph, steps: steps, batch: batch, input: input,
                                                               seed: seed))
            var streams = (0..<batch).map { Xoshiro256StarStar(seed: seed, network: 0, layer: 0, block: $0) }
            var held: [[Float]] = []
            for t in 1...steps {
                try workspace.step(t)
                let got = Array(UnsafeBufferPointer(start: workspace.outputs[1], count: batch * 4))
                let expected: [Float] = (0..<batch).flatMap { b -> [Float] in
                    switch input {
                    case .encoding(.bernoulli(let p)):
                        let threshold = Xoshiro256StarStar.bernoulliThreshold(probability: p)
                        return (0..<4).map { _ in streams[b].nextBernoulli(threshold53: threshold) ? 1 : 0 }
                    case .encoding(.gaussian(let s)):
                        if t == 1 {
                            var x = [Float](repeating: 0, count: 4)
                            x.withUnsafeMutableBufferPointer { streams[b].fillNormal($0.baseAddress!, count: 4, scale: Float(s)) }
                            held.append(x)
                        }
                        return held[b]
                    default:
                        return []
                    }
                }
                #expect(got == expected, "\(input) step \(t)")
            }
        }
    }

    @Test func bernoulliInputSpikesAtItsRate() throws {
        // Neurons that spike exactly when their input does: threshold 0.5, no memory.
        let n = 200
        let graph = NetworkGraph(nodes: [
            Self.node("input", .input, inputs: [], [n]),
            Self.node("copy", .neurons(.init(leak: .init(repeating: 0, count: n), synapticLeak: nil,
                                             gain: .init(repeating: 1, count: n), threshold: .init(repeating: 0.5, count: n),
                                             resetValue: .init(repeating: 0, count: n), bias: .init(repeating: 0, count: n),
                                             multiSpike: false)),
                      inputs: [0], [n]),
        ])
        let statistics = try GraphSimulation(graph: graph, steps: 5, batch: 40, input: .encoding(.bernoulli(rate: 0.2)),
                                             seed: 3, threads: 2).run()
        let again = try GraphSimulation(graph: graph, steps: 5, batch: 40, input: .encoding(.bernoulli(rate: 0.2)),
                                        seed: 3, threads: 1).run()
        let other = try GraphSimulation(graph: graph, steps: 5, batch: 40, input: .encoding(.bernoulli(rate: 0.2)),
                                        seed: 4, threads: 2).run()
        #expect(statistics.layers == again.layers)
        #expect(statistics.layers != other.layers)
        for step in statistics.layers[0].steps {
            let rate = step.rate!
            // Binomial: sd of a sample's mean over 200 inputs is sqrt(0.16 / 200); its error estimate is near
            // sqrt(0.16 / 200 / 40) = 0.0045.
            #expect(abs(rate.mean - 0.2) <= 5 * rate.standardError!)
            #expect(abs(rate.standardError! - (0.16 / 200 / 40).squareRoot()) <= 0.002)
            // u = x: Var[u] = p (1 - p) = 0.16.
            #expect(abs(step.membraneVariance.mean - 0.16) <= 5 * step.membraneVariance.standardError!)
        }
    }

    @Test func refusesWhatItCannotRun() throws {
        let graph = Self.tinyGraph
        let x = [Float](repeating: 0, count: 2 * 6)
        #expect(throws: GraphSimulationError.insufficientMemory(
            estimatedBytes: try GraphSimulation(graph: graph, steps: 2, batch: 2, input: .array(values: x, shape: [2, 6]))
                .estimatedBytes, limitBytes: 100)) {
            try GraphSimulation(graph: graph, steps: 2, batch: 2, input: .array(values: x, shape: [2, 6]),
                                memoryLimit: 100)
        }
        #expect(throws: ModelError.self) {
            try GraphSimulation(graph: graph, steps: 2, batch: 2, input: .array(values: x, shape: [2, 2, 3]))
        }
        #expect(throws: ModelError.self) {
            try GraphSimulation(graph: graph, steps: 0, batch: 2, input: .encoding(.bernoulli(rate: 0.5)))
        }
        // A multi-spike neuron with threshold 0 would spike without bound.
        var nodes = graph.nodes
        nodes[6] = Self.node("lif2", .neurons(.init(leak: [1, 1, 1, 1], synapticLeak: nil, gain: [1, 1, 1, 1],
                                                    threshold: [0.5, 0, 1, 1], resetValue: nil, bias: [0, 0, 0, 0],
                                                    multiSpike: true)), inputs: [5, 4], [4])
        #expect(throws: GraphSimulationError.unsupported(
            node: "lif2", reason: "a multi-spike neuron (floor(v / threshold) spikes) needs every threshold above 0")) {
            try GraphSimulation(graph: NetworkGraph(nodes: nodes), steps: 1, batch: 1,
                                input: .encoding(.bernoulli(rate: 0.5)))
        }
        // A convolution whose output shape does not follow from its input.
        let convolution = NetworkGraph.Convolution(outputChannels: 2, inputChannels: 1, kernel: [3, 3], stride: [1, 1],
                                                   padding: [0, 0], dilation: [1, 1], groups: 1,
                                                   weight: .init(repeating: 0.1, count: 18), bias: [])
        let wrong = GraphOperationTests.graph(.convolution(convolution), input: [1, 5, 5], output: [2, 5, 5])
        #expect(throws: GraphSimulationError.self) {
            try GraphSimulation(graph: wrong, steps: 1, batch: 1, input: .encoding(.bernoulli(rate: 0.5)))
        }
    }

    @Test func nonFiniteMembraneStopsTheRun() throws {
        var nodes = Self.tinyGraph.nodes
        var weight = Self.dyadic(30, stream: 1)
        weight[7] = .nan
        nodes[1] = Self.node("fc1", .dense(.init(outputs: 5, inputs: 6, weight: weight, bias: [])), inputs: [0], [6], [5])
        let simulation = try GraphSimulation(graph: NetworkGraph(nodes: nodes), steps: 2, batch: 1,
                                             input: .encoding(.bernoulli(rate: 1)))
        #expect(throws: GraphSimulationError.nonFinite(node: "lif1", step: 1)) { try simulation.run() }
    }
}
