import Dispatch
import Foundation
import SNNModel
import SNNSupport

/// Several steps of a network with weights of its own, neuron by neuron: section 4's temporal kernel with a mean
/// (THEORY.md section 9.2).
///
/// Every node's output element j is described over input samples by its means m_j[t] and its covariance over time
/// C_j(t, t'), t, t' = 1...T; elements are independent of each other (A1). Dense, convolution, pooling, scale and
/// flatten nodes map them linearly: mu_i[t] = sum_j W_ij m_j[t] + b_i, Sigma_i(t, t') = sum_j W_ij^2 C_j(t, t').
/// A neuron's input sequence x_i[1..T] is taken as Gaussian with that mean and covariance (A2 over time), and its
/// spikes and membrane are deterministic functions of the sequence (the neuron's own leak, synaptic leak, gain,
/// bias, threshold, reset, multi-spike rule and lower bound, exactly as `NetworkGraph.NeuronLayer` runs them), so the
/// neuron's E[n[t]], E[n[t] n[t']], E[u[t]] and Var[u[t]] are a T-dimensional Gaussian integral, evaluated by Monte
/// Carlo with `samples` sequences per neuron. Where the elements reaching a neuron are the graph's Bernoulli inputs
/// (independent over time) through one dense or convolution node with at most `BernoulliSum.saddlePointLimit`
/// inputs, its input is drawn term by term instead (exact, no A2). The neuron's output spikes give the next node's
/// m[t] = E[n[t]] and C(t, t') = E[n[t] n[t']] - E[n[t]] E[n[t']].
///
/// Accuracy: each neuron's rate carries Monte Carlo noise sqrt(Var[n[t]] / samples); the layer's mean rate averages
/// N independent neurons, so its error, `Step.meanRateError`, is sqrt(sum_i Var_i[n[t]] / samples) / N. Every
/// neuron draws from its own stream (seed, node, neuron), so results do not depend on the thread count.
public struct GraphStepsPrediction: Sendable {
    public struct Step: Sendable {
        public let t: Int
        /// Mean over neurons of E[n[t]] (nil for a node without threshold) and its Monte Carlo standard error.
        public let meanRate: Double?
        public let meanRateError: Double?
        /// E[u[t]] and Var[u[t]] (before the reset) over neurons and samples together, as a simulation pools them.
        public let membraneMean: Double
        public let membraneVariance: Double
    }

    public struct Layer: Sendable {
        public let node: Int
        public let name: String
        public let neurons: Int
        public let steps: [Step]
        /// Neurons whose input was drawn term by term from Bernoulli inputs (no Gaussian assumption).
        public let termByTerm: Int
    }

    public let layers: [Layer]
    public let steps: Int
    public let samples: Int
    public let seed: UInt64

    public static let maximumSteps = 64
    /// The processors the system reports (results do not depend on the thread count).
    public static var defaultThreads: Int { ProcessInfo.processInfo.activeProcessorCount }
    public static let sampleRange = 16...(1 << 20)

    /// Element statistics over time: per element, T means and a T x T covariance (row-major).
    struct Signal: Sendable {
        var mean: [Double]
        var covariance: [Double]
        /// Per element, the law of a dense or convolution sum of Bernoulli inputs independent over time.
        var sums: [BernoulliSum]?
        /// The graph's Bernoulli input as it is: spikes independent over elements and time.
        var independentSpikes = false
    }

    /// Throws `ModelError` for steps outside 1...`maximumSteps`, samples outside `sampleRange`, or a recurrent graph
    /// (its delayed edges would make a neuron's input depend on its own past; the simulation runs those).
    public init(_ graph: NetworkGraph, input: InputEncoding, steps: Int, samples: Int = 1024, seed: UInt64 = 1,
                threads: Int = 1) throws {
        guard (1...Self.maximumSteps).contains(steps) else {
            throw ModelError.invalid(parameter: "steps", value: "\(steps)",
                                     allowed: "an integer from 1 to \(Self.maximumSteps) for predict --nir")
        }
        guard Self.sampleRange.contains(samples) else {
            throw ModelError.invalid(parameter: "neuron-samples", value: "\(samples)",
                                     allowed: "an integer from \(Self.sampleRange.lowerBound) to \(Self.sampleRange.upperBound)")
        }
        guard !graph.isRecurrent || steps == 1 else {
            throw ModelError.invalid(parameter: "steps", value: "\(steps) with a recurrent graph",
                                     allowed: "1 for predict --nir of a graph with a cycle (simulate --nir runs it)")
        }
        self.steps = steps
        self.samples = samples
        self.seed = seed
        let size = steps
        var signals: [Signal] = []
        var layers: [Layer] = []
        for (index, node) in graph.nodes.enumerated() {
            let count = node.outputCount
            var sum = Signal(mean: Array(repeating: 0, count: node.inputCount * size),
                             covariance: Array(repeating: 0, count: node.inputCount * size * size))
            for k in node.inputs {
                for e in sum.mean.indices { sum.mean[e] += signals[k].mean[e] }
                for e in sum.covariance.indices { sum.covariance[e] += signals[k].covariance[e] }
            }
            if node.inputs.count == 1 {
                sum.sums = signals[node.inputs[0]].sums
                sum.independentSpikes = signals[node.inputs[0]].independentSpikes
            }
            switch node.operation {
            case .input:
                var signal = Signal(mean: [], covariance: Array(repeating: 0, count: count * size * size))
                switch input {
                case .bernoulli(let p):
                    signal.mean = Array(repeating: p, count: count * size)
                    for e in 0..<count { for t in 0..<size { signal.covariance[(e * size + t) * size + t] = p * (1 - p) } }
                    signal.independentSpikes = true
                    // A neuron fed by the input directly draws its one term.
                    signal.sums = Array(repeating: BernoulliSum(weights: [1], probabilities: [p], method: .gaussian),
                                        count: count)
                case .gaussian(let s):
                    signal.mean = Array(repeating: 0, count: count * size)
                    signal.covariance = Array(repeating: s * s, count: count * size * size)
                }
                signals.append(signal)
            case .flatten, .output:
                signals.append(sum)
            case .scale, .pool:
                signals.append(LinearMap(node).apply(sum, steps: size))
            case .dense, .convolution:
                let map = LinearMap(node)
                var out = map.apply(sum, steps: size)
                if node.isWeighted, sum.independentSpikes, map.largestRow <= BernoulliSum.saddlePointLimit {
                    let p = stride(from: 0, to: sum.mean.count, by: size).map { sum.mean[$0] }
                    out.sums = (0..<count).map { i in
                        BernoulliSum(weights: map.rows[i].map(\.weight) + [map.bias[i]],
                                     probabilities: map.rows[i].map { p[$0.input] } + [1], method: .gaussian)
                    }
                }
                signals.append(out)
            case .neurons(let neurons):
                let (signal, layer) = Self.neurons(neurons, sum, node: index, name: node.name, steps: size,
                                                   samples: samples, seed: seed, threads: threads)
                signals.append(signal)
                layers.append(layer)
            }
        }
        self.layers = layers
    }

    /// A linear node as rows of (input element, weight) and a bias per output element.
    struct LinearMap {
        var rows: [[(input: Int, weight: Double)]]
        var bias: [Double]
        var largestRow: Int { rows.map(\.count).max() ?? 0 }

        init(_ node: NetworkGraph.Node) {
            let count = node.outputCount
            rows = Array(repeating: [], count: count)
            bias = Array(repeating: 0, count: count)
            switch node.operation {
            case .dense(let d):
                for i in 0..<d.outputs {
                    rows[i] = (0..<d.inputs).map { ($0, Double(d.weight[i * d.inputs + $0])) }
                    if !d.bias.isEmpty { bias[i] = Double(d.bias[i]) }
                }
            case .convolution(let c):
                let rank = c.kernel.count
                let inSize = rank == 2 ? (node.inputShape[1], node.inputShape[2]) : (1, node.inputShape[1])
                let outSize = rank == 2 ? (node.outputShape[1], node.outputShape[2]) : (1, node.outputShape[1])
                let kernel = rank == 2 ? (c.kernel[0], c.kernel[1]) : (1, c.kernel[0])
                let stride = rank == 2 ? (c.stride[0], c.stride[1]) : (1, c.stride[0])
                let padding = rank == 2 ? (c.padding[0], c.padding[1]) : (0, c.padding[0])
                let dilation = rank == 2 ? (c.dilation[0], c.dilation[1]) : (1, c.dilation[0])
                let perGroupIn = c.inputChannels / c.groups, perGroupOut = c.outputChannels / c.groups
                for o in 0..<c.outputChannels {
                    let group = o / perGroupOut
                    for y in 0..<outSize.0 {
                        for x in 0..<outSize.1 {
                            let i = (o * outSize.0 + y) * outSize.1 + x
                            if !c.bias.isEmpty { bias[i] = Double(c.bias[o]) }
                            for ci in 0..<perGroupIn {
                                let channel = group * perGroupIn + ci
                                for ky in 0..<kernel.0 {
                                    let iy = y * stride.0 - padding.0 + ky * dilation.0
                                    guard iy >= 0, iy < inSize.0 else { continue }
                                    for kx in 0..<kernel.1 {
                                        let ix = x * stride.1 - padding.1 + kx * dilation.1
                                        guard ix >= 0, ix < inSize.1 else { continue }
                                        let w = Double(c.weight[((o * perGroupIn + ci) * kernel.0 + ky) * kernel.1 + kx])
                                        rows[i].append(((channel * inSize.0 + iy) * inSize.1 + ix, w))
                                    }
                                }
                            }
                        }
                    }
                }
            case .pool(let p):
                let (channels, height, width) = (node.inputShape[0], node.inputShape[1], node.inputShape[2])
                let (outHeight, outWidth) = (node.outputShape[1], node.outputShape[2])
                let factor = p.average ? 1 / Double(p.kernel[0] * p.kernel[1]) : 1
                for c in 0..<channels {
                    for y in 0..<outHeight {
                        for x in 0..<outWidth {
                            let i = (c * outHeight + y) * outWidth + x
                            for ky in 0..<p.kernel[0] {
                                let iy = y * p.stride[0] - p.padding[0] + ky
                                guard iy >= 0, iy < height else { continue }
                                for kx in 0..<p.kernel[1] {
                                    let ix = x * p.stride[1] - p.padding[1] + kx
                                    guard ix >= 0, ix < width else { continue }
                                    rows[i].append(((c * height + iy) * width + ix, factor))
                                }
                            }
                        }
                    }
                }
            case .scale(let s):
                for i in 0..<count { rows[i] = [(i, Double(s[i]))] }
            default:
                preconditionFailure("not a linear node")
            }
        }

        /// m_i[t] = sum_j W_ij m_j[t] + b_i and Sigma_i = sum_j W_ij^2 C_j (A1).
        func apply(_ input: Signal, steps: Int) -> Signal {
            let square = steps * steps
            var out = Signal(mean: Array(repeating: 0, count: rows.count * steps),
                             covariance: Array(repeating: 0, count: rows.count * square))
            out.mean.withUnsafeMutableBufferPointer { mean in
                out.covariance.withUnsafeMutableBufferPointer { covariance in
                    input.mean.withUnsafeBufferPointer { inMean in
                        input.covariance.withUnsafeBufferPointer { inCovariance in
                            for (i, row) in rows.enumerated() {
                                for t in 0..<steps { mean[i * steps + t] = bias[i] }
                                for (j, w) in row {
                                    for t in 0..<steps { mean[i * steps + t] += w * inMean[j * steps + t] }
                                    let w2 = w * w
                                    for e in 0..<square { covariance[i * square + e] += w2 * inCovariance[j * square + e] }
                                }
                            }
                        }
                    }
                }
            }
            return out
        }
    }

    /// The per-neuron sums the workers fill, each neuron's own rows (no two workers write the same element).
    struct Outputs: @unchecked Sendable {
        let first, cross, uFirst, uSecond: UnsafeMutablePointer<Double>
    }

    /// Per neuron, `samples` input sequences through the neuron's own update.
    static func neurons(_ neurons: NetworkGraph.NeuronLayer, _ input: Signal, node: Int, name: String, steps: Int,
                        samples: Int, seed: UInt64, threads: Int) -> (Signal, Layer) {
        let count = neurons.count
        let square = steps * steps
        // Per neuron: E[n[t]], E[n n'] (T x T), E[u[t]], E[u[t]^2].
        var first = [Double](repeating: 0, count: count * steps)
        var cross = [Double](repeating: 0, count: count * square)
        var uFirst = first, uSecond = first
        let chunk = 64
        let chunks = (count + chunk - 1) / chunk
        first.withUnsafeMutableBufferPointer { first in
            cross.withUnsafeMutableBufferPointer { cross in
                uFirst.withUnsafeMutableBufferPointer { uFirst in
                    uSecond.withUnsafeMutableBufferPointer { uSecond in
                        let pointers = Outputs(first: first.baseAddress!, cross: cross.baseAddress!,
                                               uFirst: uFirst.baseAddress!, uSecond: uSecond.baseAddress!)
                        let work: @Sendable (Int) -> Void = { c in
                            var factor = [Double](repeating: 0, count: square)
                            var n = [Double](repeating: 0, count: steps), u = n, z = n
                            for i in (c * chunk)..<min(count, (c + 1) * chunk) {
                                Self.neuron(i, neurons, input, steps: steps, samples: samples,
                                            seed: SplitMix64.mix(seed ^ SplitMix64.mix(UInt64(node) << 32 | UInt64(i))),
                                            factor: &factor, n: &n, u: &u, z: &z,
                                            first: pointers.first + i * steps, cross: pointers.cross + i * square,
                                            uFirst: pointers.uFirst + i * steps, uSecond: pointers.uSecond + i * steps)
                            }
                        }
                        if threads <= 1 {
                            for c in 0..<chunks { work(c) }
                        } else {
                            DispatchQueue.concurrentPerform(iterations: chunks) { work($0) }
                        }
                    }
                }
            }
        }
        var out = Signal(mean: first, covariance: Array(repeating: 0, count: count * square))
        let spiking = neurons.threshold != nil
        for i in 0..<count {
            for t in 0..<steps {
                for s in 0..<steps {
                    let a = spiking ? first[i * steps + t] : uFirst[i * steps + t]
                    let b = spiking ? first[i * steps + s] : uFirst[i * steps + s]
                    out.covariance[i * square + t * steps + s] = cross[i * square + t * steps + s] - a * b
                }
            }
        }
        if !spiking { out.mean = uFirst }
        var stepsOut: [Step] = []
        for t in 0..<steps {
            var rate = 0.0, noise = 0.0, uMean = 0.0, uMeanSquares = 0.0, uVariance = 0.0
            for i in 0..<count {
                rate += first[i * steps + t]
                noise += max(0, out.covariance[i * square + t * steps + t])
                let m = uFirst[i * steps + t]
                uMean += m
                uMeanSquares += m * m
                uVariance += max(0, uSecond[i * steps + t] - m * m)
            }
            let n = Double(count)
            uMean /= n
            stepsOut.append(Step(t: t + 1, meanRate: spiking ? rate / n : nil,
                                 meanRateError: spiking ? (noise / Double(samples)).squareRoot() / n : nil,
                                 membraneMean: uMean,
                                 membraneVariance: uVariance / n + max(0, uMeanSquares / n - uMean * uMean)))
        }
        let termByTerm = input.sums.map { $0.count == count ? count : 0 } ?? 0
        return (out, Layer(node: node, name: name, neurons: count, steps: stepsOut, termByTerm: termByTerm))
    }

    /// One neuron: its input's factor L (L L^T = Sigma_i) or its Bernoulli terms, then `samples` runs of its update.
    static func neuron(_ i: Int, _ neurons: NetworkGraph.NeuronLayer, _ input: Signal, steps: Int, samples: Int,
                       seed: UInt64, factor: inout [Double], n: inout [Double], u: inout [Double], z: inout [Double],
                       first: UnsafeMutablePointer<Double>, cross: UnsafeMutablePointer<Double>,
                       uFirst: UnsafeMutablePointer<Double>, uSecond: UnsafeMutablePointer<Double>) {
        let square = steps * steps
        let sum = input.sums?[i]
        if sum == nil {
            input.covariance.withUnsafeBufferPointer { c in
                factor.withUnsafeMutableBufferPointer { Cholesky.factor(c.baseAddress! + i * square, steps, into: $0.baseAddress!) }
            }
        }
        let leak = Double(neurons.leak[i]), gain = Double(neurons.gain[i]), bias = Double(neurons.bias[i])
        let alpha = neurons.synapticLeak.map { Double($0[i]) }
        let theta = neurons.threshold.map { Double($0[i]) }
        let resetValue = neurons.resetValue.map { Double($0[i]) }
        let lowerBound = neurons.lowerBound.map { Double($0[i]) }
        var rng = SplitMix64(state: seed)
        for k in 0..<steps { first[k] = 0; uFirst[k] = 0; uSecond[k] = 0 }
        for k in 0..<square { cross[k] = 0 }
        for _ in 0..<samples {
            if let sum {
                for t in 0..<steps {
                    var x = sum.constant
                    for (w, p) in zip(sum.weights, sum.probabilities) where rng.nextUnitDouble() < p { x += w }
                    z[t] = x
                }
            } else {
                var t = 0
                while t < steps {
                    // Box-Muller: two standard normals from two uniforms.
                    let r = (-2 * log(1 - rng.nextUnitDouble())).squareRoot(), angle = 2 * Double.pi * rng.nextUnitDouble()
                    z[t] = r * cos(angle)
                    if t + 1 < steps { z[t + 1] = r * sin(angle) }
                    t += 2
                }
                for t in stride(from: steps - 1, through: 0, by: -1) {
                    var x = input.mean[i * steps + t]
                    for k in 0...t { x += factor[t * steps + k] * z[k] }
                    z[t] = x
                }
            }
            var v = 0.0, current = 0.0
            for t in 0..<steps {
                current = alpha.map { $0 * current + z[t] } ?? z[t]
                v = leak * v + gain * current + bias
                u[t] = v
                var spikes = 0.0
                if let theta {
                    if neurons.multiSpike {
                        if v >= theta { spikes = (v / theta).rounded(.down) }
                    } else if v > theta {
                        spikes = 1
                    }
                    if spikes > 0 { v = resetValue ?? (v - theta * spikes) }
                }
                if let lowerBound { v = max(v, lowerBound) }
                n[t] = theta == nil ? u[t] : spikes
            }
            for t in 0..<steps {
                first[t] += n[t]
                uFirst[t] += u[t]
                uSecond[t] += u[t] * u[t]
                let row = cross + t * steps
                for s in 0..<steps { row[s] += n[t] * n[s] }
            }
        }
        let scale = 1 / Double(samples)
        for k in 0..<steps { first[k] *= scale; uFirst[k] *= scale; uSecond[k] *= scale }
        for k in 0..<square { cross[k] *= scale }
    }
}
