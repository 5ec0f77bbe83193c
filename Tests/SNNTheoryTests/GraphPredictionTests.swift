import Foundation
import SNNModel
import SNNSupport
@testable import SNNTheory
import Testing

/// The per-neuron first step of THEORY.md section 9 against the formulas worked in the test, and a convolution
/// against the dense matrix it unrolls to (the same sums, so the same prediction).
@Suite struct GraphPredictionTests {
    static func neurons(_ count: Int, theta: Float = 1, gain: Float = 1, bias: Float = 0,
                        multiSpike: Bool = false) -> NetworkGraph.NeuronLayer {
        NetworkGraph.NeuronLayer(leak: Array(repeating: 0.9, count: count), synapticLeak: nil,
                                 gain: Array(repeating: gain, count: count), threshold: Array(repeating: theta, count: count),
                                 resetValue: nil, bias: Array(repeating: bias, count: count), multiSpike: multiSpike)
    }

    static func chain(inputShape: [Int], _ operations: [(NetworkGraph.Operation, [Int])]) -> NetworkGraph {
        var nodes = [NetworkGraph.Node(name: "input", operation: .input, inputs: [], delayedInputs: [],
                                       inputShape: inputShape, outputShape: inputShape)]
        var shape = inputShape
        for (index, (operation, output)) in operations.enumerated() {
            nodes.append(NetworkGraph.Node(name: "n\(index + 1)", operation: operation, inputs: [index],
                                           delayedInputs: [], inputShape: shape, outputShape: output))
            shape = output
        }
        return NetworkGraph(nodes: nodes)
    }

    static func q(_ z: Double) -> Double { 0.5 * erfc(z / 2.0.squareRoot()) }

    @Test func oneDenseLayerGivesTheGaussianTailOfItsWeightedSum() {
        let weight: [Float] = [0.5, -1.25, 2, 0.75, 1.5, -0.5]
        let bias: [Float] = [0.1, -0.2]
        let graph = Self.chain(inputShape: [3], [
            (.dense(NetworkGraph.Dense(outputs: 2, inputs: 3, weight: weight, bias: bias)), [2]),
            (.neurons(Self.neurons(2, theta: 0.8, gain: 1.5, bias: 0.05)), [2]),
        ])
        let p = 0.3
        let layer = GraphPrediction(graph, input: .bernoulli(rate: p), exactTails: false).layers[0]
        #expect(layer.tailMethods == [.gaussian: 2])
        for i in 0..<2 {
            let w = weight[(3 * i)..<(3 * i + 3)].map(Double.init)
            let mean = 1.5 * (w.reduce(0, +) * p + Double(bias[i])) + Double(Float(0.05))
            let sd = 1.5 * (w.reduce(0) { $0 + $1 * $1 } * p * (1 - p)).squareRoot()
            #expect(abs(layer.rates![i] - Self.q((Double(Float(0.8)) - mean) / sd)) < 1e-12)
        }
    }

    @Test func multiSpikeNeuronsCountEveryMultipleOfTheThreshold() {
        let graph = Self.chain(inputShape: [1], [
            (.dense(NetworkGraph.Dense(outputs: 1, inputs: 1, weight: [4], bias: [0.5])), [1]),
            (.neurons(Self.neurons(1, theta: 1, multiSpike: true)), [1]),
            (.dense(NetworkGraph.Dense(outputs: 1, inputs: 1, weight: [1], bias: [])), [1]),
            (.neurons(Self.neurons(1, theta: 1e9)), [1]),
        ])
        // Taken as Gaussian (A2): u = 4 s + 0.5 with s ~ Bernoulli(0.5) has mean 2.5 and variance 16 / 4 = 4; the
        // spike count floor(u) at u >= 1 has E[n] = sum_k P(u >= k), E[n^2] = sum_k (2k - 1) P(u >= k).
        let prediction = GraphPrediction(graph, input: .bernoulli(rate: 0.5), exactTails: false)
        let tail = { (k: Double) in Self.q((k - 2.5) / 2) }
        let first = (1...60).reduce(0.0) { $0 + tail(Double($1)) }
        #expect(abs(prediction.layers[0].rates![0] - first) < 1e-12)
        let second = (1...60).reduce(0.0) { $0 + Double(2 * $1 - 1) * tail(Double($1)) }
        let next = prediction.layers[1]
        #expect(abs(next.membraneMeans[0] - first) < 1e-12)
        #expect(abs(next.membraneVariances[0] - (second - first * first)) < 1e-12)
    }

    /// Section 9.1: with few spike inputs the first step is the exact law of the sum. Here every one of the 2^3
    /// input patterns is listed in the test: u = 1.5 (w . x + b) + 0.05 spikes when above 0.8.
    @Test func fewSpikeInputsGiveTheExactSpikeProbability() {
        let weight: [Float] = [0.5, -1.25, 2, 0.75, 1.5, -0.5]
        let bias: [Float] = [0.1, -0.2]
        let graph = Self.chain(inputShape: [3], [
            (.dense(NetworkGraph.Dense(outputs: 2, inputs: 3, weight: weight, bias: bias)), [2]),
            (.neurons(Self.neurons(2, theta: 0.8, gain: 1.5, bias: 0.05)), [2]),
        ])
        let p = 0.3
        let layer = GraphPrediction(graph, input: .bernoulli(rate: p)).layers[0]
        #expect(layer.tailMethods == [.exact: 2])
        for i in 0..<2 {
            var expected = 0.0
            for pattern in 0..<8 {
                var current = Double(bias[i]), probability = 1.0
                for j in 0..<3 {
                    let on = pattern >> j & 1 == 1
                    if on { current += Double(weight[3 * i + j]) }
                    probability *= on ? p : 1 - p
                }
                if 1.5 * current + Double(Float(0.05)) > Double(Float(0.8)) { expected += probability }
            }
            #expect(abs(layer.rates![i] - expected) < 1e-12)
        }
        // u = 4 s + 0.5, s ~ Bernoulli(0.5), multi-spike at theta 1: floor(4.5) = 4 spikes half the time.
        let multi = GraphPrediction(Self.chain(inputShape: [1], [
            (.dense(NetworkGraph.Dense(outputs: 1, inputs: 1, weight: [4], bias: [0.5])), [1]),
            (.neurons(Self.neurons(1, theta: 1, multiSpike: true)), [1]),
        ]), input: .bernoulli(rate: 0.5))
        #expect(abs(multi.layers[0].rates![0] - 2) < 1e-12)
    }

    /// Neurons fed by the input directly: u = 2 x with x ~ Bernoulli(0.3) spikes (u = 2 > 1) exactly when x = 1, so
    /// the rate is 0.3 (a Gaussian of mean 0.6 and sd 0.917 would give Q(0.436) = 0.33). Over three steps with leak
    /// 0.5 and subtract reset the membrane stays at most 2 (u = 0.5 v + 2 x <= 3, less 1 when it spikes), so u[t] =
    /// 0.5 v[t-1] + 2 x[t] spikes iff x[t] = 1 (0.5 v <= 1 alone never exceeds the threshold): rate 0.3 at every
    /// step; the Monte Carlo (4096 sequences) within 4 of its standard errors.
    @Test func aNeuronFedByTheInputSpikesAtItsRate() throws {
        let graph = Self.chain(inputShape: [2], [(.neurons(NetworkGraph.NeuronLayer(
            leak: [0.5, 0.5], synapticLeak: nil, gain: [2, 2], threshold: [1, 1], resetValue: nil, bias: [0, 0],
            multiSpike: false)), [2])])
        let first = GraphPrediction(graph, input: .bernoulli(rate: 0.3)).layers[0]
        #expect(first.tailMethods == [.exact: 2])
        #expect(first.rates!.allSatisfy { abs($0 - 0.3) < 1e-12 })
        let steps = try GraphStepsPrediction(graph, input: .bernoulli(rate: 0.3), steps: 3, samples: 4096)
        #expect(steps.layers[0].termByTerm == 2)
        for step in steps.layers[0].steps {
            #expect(abs(step.meanRate! - 0.3) <= 4 * step.meanRateError!, "t \(step.t): \(step.meanRate!)")
        }
    }

    @Test func aConvolutionPredictsAsTheDenseMatrixItUnrolls() {
        var rng = SplitMix64(state: 5)
        let (channels, height, width, out, kernel, stride, padding, groups) = (4, 7, 6, 6, 3, 2, 1, 2)
        let perGroup = channels / groups
        let weight = (0..<(out * perGroup * kernel * kernel)).map { _ in Float(Double(rng.next() % 2001) / 1000 - 1) }
        let bias = (0..<out).map { _ in Float(Double(rng.next() % 201) / 1000 - 0.1) }
        let outHeight = (height + 2 * padding - kernel) / stride + 1, outWidth = (width + 2 * padding - kernel) / stride + 1
        let convolution = NetworkGraph.Convolution(outputChannels: out, inputChannels: channels, kernel: [kernel, kernel],
                                                   stride: [stride, stride], padding: [padding, padding],
                                                   dilation: [1, 1], groups: groups, weight: weight, bias: bias)
        // The same map as a matrix, built by placing each kernel tap where it lands.
        let inputs = channels * height * width, outputs = out * outHeight * outWidth
        var matrix = [Float](repeating: 0, count: outputs * inputs)
        var denseBias = [Float](repeating: 0, count: outputs)
        for o in 0..<out {
            for y in 0..<outHeight {
                for x in 0..<outWidth {
                    let row = (o * outHeight + y) * outWidth + x
                    denseBias[row] = bias[o]
                    for c in 0..<perGroup {
                        let channel = (o / (out / groups)) * perGroup + c
                        for ky in 0..<kernel {
                            for kx in 0..<kernel {
                                let iy = y * stride - padding + ky, ix = x * stride - padding + kx
                                guard (0..<height).contains(iy), (0..<width).contains(ix) else { continue }
                                matrix[row * inputs + (channel * height + iy) * width + ix] =
                                    weight[((o * perGroup + c) * kernel + ky) * kernel + kx]
                            }
                        }
                    }
                }
            }
        }
        let shape = [out, outHeight, outWidth]
        let convolved = GraphPrediction(Self.chain(inputShape: [channels, height, width], [
            (.convolution(convolution), shape), (.neurons(Self.neurons(outputs, theta: 0.7)), shape),
        ]), input: .bernoulli(rate: 0.3)).layers[0]
        let dense = GraphPrediction(Self.chain(inputShape: [channels, height, width], [
            (.dense(NetworkGraph.Dense(outputs: outputs, inputs: inputs, weight: matrix, bias: denseBias)), [outputs]),
            (.neurons(Self.neurons(outputs, theta: 0.7)), [outputs]),
        ]), input: .bernoulli(rate: 0.3)).layers[0]
        for i in 0..<outputs {
            #expect(abs(convolved.rates![i] - dense.rates![i]) < 1e-12, "output \(i)")
        }
    }

    /// Section 9.4 is exact where every node is linear: input -> 3 x 3 convolution (padding 1) -> neurons without
    /// threshold (u = 1.5 x + 0.2) -> overlapping 2 x 2 sum pool (stride 1) -> flatten -> dense -> neurons without
    /// threshold. The last membrane is M s + const for the composite map M, worked here by nested loops, so its
    /// variance is sum_j M_ij^2 p (1 - p); taking the pooled elements as independent (A1) misses it.
    @Test func linearNodesCarryPairsExactly() {
        let p = 0.3, side = 5
        let kernel: [Float] = (0..<18).map { Float(sin(Double($0) * 1.7)) }
        let dense: [Float] = (0..<(3 * 32)).map { Float(cos(Double($0) * 0.9)) }
        func linear(_ count: Int) -> NetworkGraph.NeuronLayer {
            NetworkGraph.NeuronLayer(leak: Array(repeating: 1, count: count), synapticLeak: nil,
                                     gain: Array(repeating: 1.5, count: count), threshold: nil, resetValue: nil,
                                     bias: Array(repeating: 0.2, count: count), multiSpike: false)
        }
        let graph = Self.chain(inputShape: [1, side, side], [
            (.convolution(NetworkGraph.Convolution(outputChannels: 2, inputChannels: 1, kernel: [3, 3], stride: [1, 1],
                                                   padding: [1, 1], dilation: [1, 1], groups: 1, weight: kernel,
                                                   bias: [0.1, -0.1])), [2, side, side]),
            (.neurons(linear(2 * side * side)), [2, side, side]),
            (.pool(NetworkGraph.Pooling(kernel: [2, 2], stride: [1, 1], padding: [0, 0], average: false)), [2, 4, 4]),
            (.flatten, [32]),
            (.dense(NetworkGraph.Dense(outputs: 3, inputs: 32, weight: dense, bias: [])), [3]),
            (.neurons(linear(3)), [3]),
        ])
        // M[i][pixel]: dense row i, through the pool windows, the gain 1.5 and the kernel.
        var composite = [[Double]](repeating: Array(repeating: 0, count: side * side), count: 3)
        for i in 0..<3 { for c in 0..<2 { for py in 0..<4 { for px in 0..<4 {
            let d = 1.5 * Double(dense[i * 32 + (c * 4 + py) * 4 + px])
            for wy in 0..<2 { for wx in 0..<2 {
                let (y, x) = (py + wy, px + wx)
                for ky in 0..<3 { for kx in 0..<3 {
                    let (iy, ix) = (y - 1 + ky, x - 1 + kx)
                    guard (0..<side).contains(iy), (0..<side).contains(ix) else { continue }
                    composite[i][iy * side + ix] += d * Double(kernel[(c * 3 + ky) * 3 + kx])
                } }
            } }
        } } } }
        let paired = GraphPrediction(graph, input: .bernoulli(rate: p)).layers[1]
        let independent = GraphPrediction(graph, input: .bernoulli(rate: p), pairCovariances: false).layers[1]
        for i in 0..<3 {
            let expected = 1.5 * 1.5 * composite[i].reduce(0) { $0 + $1 * $1 } * p * (1 - p)
            #expect(abs(paired.membraneVariances[i] - expected) <= 1e-12 * expected, "output \(i)")
            #expect(abs(independent.membraneVariances[i] - expected) > 0.01 * expected, "output \(i)")
        }
    }

    /// Section 9.4's neuron pairs where its Gaussian is exact: two neurons reading the same two N(0, 1) inputs have
    /// jointly Gaussian potentials, so the variance of their summed spikes is Var[n_1] + Var[n_2] + 2 Cov(n_1, n_2),
    /// the covariance from the adaptive-quadrature orthant (not the Genz rule the prediction uses): single spikes
    /// (P(u_1 > theta, u_2 > theta) - Q Q) and multi-spike counts (the sum over levels k, l).
    @Test func neuronPairsOfGaussianInputsTakeTheBivariateNormal() throws {
        let weight: [Float] = [1, 0.5, 0.8, -0.3]
        let w = weight.map(Double.init)
        let variances = [w[0] * w[0] + w[1] * w[1], w[2] * w[2] + w[3] * w[3]]
        let rho = (w[0] * w[2] + w[1] * w[3]) / (variances[0] * variances[1]).squareRoot()
        for multiSpike in [false, true] {
            let theta = multiSpike ? 0.5 : 0.7
            // A convolution (one channel in, two out, kernel 2 over 2 inputs): its outputs carry their pair.
            let graph = Self.chain(inputShape: [1, 2], [
                (.convolution(NetworkGraph.Convolution(outputChannels: 2, inputChannels: 1, kernel: [2], stride: [1],
                                                       padding: [0], dilation: [1], groups: 1, weight: weight,
                                                       bias: [])), [2, 1]),
                (.neurons(Self.neurons(2, theta: Float(theta), multiSpike: multiSpike)), [2, 1]),
                (.flatten, [2]),
                (.dense(NetworkGraph.Dense(outputs: 1, inputs: 2, weight: [1, 1], bias: [])), [1]),
                (.neurons(Self.neurons(1, theta: 1e9)), [1]),
            ])
            let prediction = GraphPrediction(graph, input: .gaussian(std: 1))
            let levels = multiSpike ? Array(1...40) : [1]
            var variance = 0.0, covariance = 0.0
            for i in 0..<2 {
                var first = 0.0, second = 0.0
                for k in levels {
                    let q = Self.q(Double(k) * Double(Float(theta)) / variances[i].squareRoot())
                    first += q
                    second += Double(2 * k - 1) * q
                }
                variance += second - first * first
            }
            for k in levels { for l in levels {
                let a = Double(k) * Double(Float(theta)) / variances[0].squareRoot()
                let b = Double(l) * Double(Float(theta)) / variances[1].squareRoot()
                covariance += try BivariateNormal.upperOrthant(a, b, correlation: rho).value - Self.q(a) * Self.q(b)
            } }
            let expected = variance + 2 * covariance
            let predicted = prediction.layers[1].membraneVariances[0]
            #expect(abs(predicted - expected) <= 1e-9 * expected, "multi-spike \(multiSpike): \(predicted) vs \(expected)")
            #expect(covariance > 0.01 * variance)
        }
    }

    @Test func poolingSumsMeansAndVariances() {
        let shape = [1, 4, 4]
        let graph = Self.chain(inputShape: shape, [
            (.pool(NetworkGraph.Pooling(kernel: [2, 2], stride: [2, 2], padding: [0, 0], average: false)), [1, 2, 2]),
            (.neurons(Self.neurons(4, theta: 100)), [1, 2, 2]),
            (.pool(NetworkGraph.Pooling(kernel: [2, 2], stride: [2, 2], padding: [0, 0], average: true)), [1, 1, 1]),
        ])
        let layer = GraphPrediction(graph, input: .bernoulli(rate: 0.25)).layers[0]
        for i in 0..<4 {
            #expect(abs(layer.membraneMeans[i] - 4 * 0.25) < 1e-12)
            #expect(abs(layer.membraneVariances[i] - 4 * 0.25 * 0.75) < 1e-12)
        }
    }
}
