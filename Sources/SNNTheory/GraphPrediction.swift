import Foundation
import SNNModel

/// The first step of a network with weights of its own, predicted neuron by neuron (THEORY.md section 9).
///
/// Every node's output element j is described by a mean m_j and a variance v_j over input samples, elements taken as
/// independent. A dense or convolution node gives mu_i = sum_j W_ij m_j + b_i and sigma_i^2 = sum_j W_ij^2 v_j; pooling,
/// flattening and scaling are exact on means and (with independence) on variances. A neuron at the first step has
/// u_i = gain_i x_i + bias_i, taken as Gaussian (a sum of many independent terms), so it spikes with probability
/// r_i = Q((theta_i - mu_i) / sigma_i) (multi-spike neurons: floor(u / theta) spikes, E[n] = sum_k P(u >= k theta)).
/// Beside it, the i.i.d. mean field of the paper (section 3) from each layer's weight variance alone: zero-mean
/// currents of variance fan-in x Var[w] x E[x^2].
public struct GraphPrediction: Sendable {
    /// One neuron node's prediction.
    public struct Layer: Sendable {
        public let node: Int
        public let name: String
        /// Per neuron: the expected spikes at the first step, its spike probability for single-spike neurons (for a
        /// node without threshold, nil).
        public let rates: [Double]?
        /// Per neuron: the mean and variance of u at the first step.
        public let membraneMeans: [Double]
        public let membraneVariances: [Double]
        /// The variance of u over neurons and samples together: mean of sigma_i^2 plus the spread of mu_i.
        public let membraneVariance: Double
        /// The i.i.d. mean field from the weight variances alone: Var[u] and the rate.
        public let meanFieldVariance: Double
        public let meanFieldRate: Double?
        /// The smallest fan-in of the node's inputs (its dense or convolution predecessors).
        public let fanIn: Int?
        /// The fraction of neurons for which one input's share of sigma_i^2 exceeds 10%: the central limit
        /// theorem's Gaussian sum is doubtful there.
        public let dominatedFraction: Double
        /// How many neurons' spike probabilities came from each tail (`BernoulliSum.Method`, section 9.1): exact or
        /// saddle point where the elements reaching them are spikes and few, else the Gaussian.
        public let tailMethods: [BernoulliSum.Method: Int]
        /// How many pairs of the neurons' inputs carry a covariance (section 9.4); 0 where they are independent (A1).
        public let correlatedPairs: Int

        public var meanRate: Double? { rates.map { $0.reduce(0, +) / Double(max($0.count, 1)) } }

        /// The q-quantile of the per-neuron rates (nearest rank).
        public func rateQuantile(_ q: Double) -> Double? {
            guard let rates, !rates.isEmpty else { return nil }
            let sorted = rates.sorted()
            return sorted[min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))]
        }

        public var silentFraction: Double? {
            rates.map { Double($0.filter { $0 < 1e-6 }.count) / Double(max($0.count, 1)) }
        }
    }

    public let layers: [Layer]
    /// The graph predicted: the one given, or with the weights `reinitialize` chose.
    public let graph: NetworkGraph
    /// Per node (by index): the mean over its input elements of E[x] and of E[x^2] at the first step.
    public let inputMoments: [(mean: Double, secondMoment: Double)]

    /// A dense or convolution node's new operation, from its index, its operation, the mean second moment E[x^2] of
    /// the elements reaching it (as predicted with every earlier node's new weights) and the mean input gain of the
    /// neurons it feeds (1 when it feeds none directly).
    public typealias Reinitialization = @Sendable (Int, NetworkGraph.Operation, Double, Double) -> NetworkGraph.Operation

    /// The per-element mean and variance of every node's output, and the i.i.d. chain's mean and variance.
    struct Moments {
        var mean: [Double]
        var variance: [Double]
        var meanField: (mean: Double, variance: Double)
        /// Per element: the largest single term's share of the variance (dense and convolution outputs).
        var largestShare: [Double]?
        var fanIn: Int?
        /// Every element is a spike, 0 or 1, with probability `mean` (Bernoulli inputs, single-spike neurons).
        var spikes = false
        /// Per element of a dense or convolution output fed by independent spikes with at most
        /// `BernoulliSum.saddlePointLimit` inputs: its law, bias included (section 9.1).
        var sums: [BernoulliSum]?
        /// The covariances between distinct elements (section 9.4); nil: independent (A1).
        var pairs: PairCovariance?
    }

    /// The multiply-adds a linear node may spend on its output pairs; past it its outputs are taken as independent
    /// (A1). The Sinabs CNN's layers stay below it.
    static let pairWorkLimit = 2e9

    /// Input elements are Bernoulli(p) spikes or N(0, s^2) values, independent. With `reinitialize`, each dense and
    /// convolution node gets the weights it returns before the prediction reaches it, so that an initialization can
    /// be set layer by layer from the rates the new weights give upstream.
    /// `exactTails` false takes every neuron's input as Gaussian (section 9's A2 everywhere), for comparison;
    /// `pairCovariances` false takes every node's elements as independent (section 9's A1 everywhere, no 9.4).
    public init(_ graph: NetworkGraph, input: InputEncoding, exactTails: Bool = true, pairCovariances: Bool = true,
                reinitialize: Reinitialization? = nil) {
        var moments: [Moments] = []
        var layers: [Layer] = []
        var nodes = graph.nodes
        var inputMoments: [(mean: Double, secondMoment: Double)] = []
        for (index, original) in graph.nodes.enumerated() {
            var node = original
            let count = node.outputCount
            // Edges closing a cycle bring zero at the first step.
            let incoming = node.inputs.map { moments[$0] }
            var sum = Moments(mean: Array(repeating: 0, count: node.inputCount),
                              variance: Array(repeating: 0, count: node.inputCount), meanField: (0, 0))
            for m in incoming {
                for j in 0..<sum.mean.count {
                    sum.mean[j] += m.mean[j]
                    sum.variance[j] += m.variance[j]
                }
                sum.meanField = (sum.meanField.mean + m.meanField.mean, sum.meanField.variance + m.meanField.variance)
                if let share = m.largestShare { sum.largestShare = share }
                if let fanIn = m.fanIn { sum.fanIn = min(sum.fanIn ?? fanIn, fanIn) }
            }
            let paired = incoming.compactMap(\.pairs)
            if paired.count == 1 {
                sum.pairs = paired[0]
            } else if paired.count > 1 {
                sum.pairs = PairCovariance.sum(paired, count: node.inputCount)
            }
            if incoming.count == 1 {
                sum.spikes = incoming[0].spikes
                // Pairs among these elements leave their laws valid: the law of each is a sum over the node's own
                // inputs, kept by the dense or convolution node only where those were independent (section 9.4).
                sum.sums = exactTails ? incoming[0].sums : nil
            }
            let elements = Double(max(sum.mean.count, 1))
            let secondMoment = zip(sum.mean, sum.variance).reduce(0.0) { $0 + $1.0 * $1.0 + $1.1 } / elements
            inputMoments.append((sum.mean.reduce(0, +) / elements, secondMoment))
            if let reinitialize, node.isWeighted {
                let gain = graph.nodes.first { consumer in consumer.inputs.contains(index) && consumer.isNeurons }
                    .flatMap { consumer -> Double? in
                        guard case .neurons(let neurons) = consumer.operation else { return nil }
                        return neurons.gain.reduce(0.0) { $0 + Double($1) } / Double(max(neurons.count, 1))
                    } ?? 1
                node = NetworkGraph.Node(name: node.name, operation: reinitialize(index, node.operation, secondMoment, gain),
                                         inputs: node.inputs, delayedInputs: node.delayedInputs,
                                         inputShape: node.inputShape, outputShape: node.outputShape)
                nodes[index] = node
            }
            switch node.operation {
            case .input:
                switch input {
                case .bernoulli(let p):
                    // A neuron fed by the input directly has one term: its law is exact.
                    moments.append(Moments(mean: Array(repeating: p, count: count),
                                           variance: Array(repeating: p * (1 - p), count: count),
                                           meanField: (p, p * (1 - p)), spikes: true,
                                           sums: exactTails ? Array(repeating: BernoulliSum(weights: [1], probabilities: [p]),
                                                                    count: count) : nil))
                case .gaussian(let s):
                    moments.append(Moments(mean: Array(repeating: 0, count: count),
                                           variance: Array(repeating: s * s, count: count), meanField: (0, s * s)))
                }
            case .dense(let dense):
                moments.append(Self.dense(dense, sum, pairCovariances: pairCovariances))
            case .convolution(let convolution):
                moments.append(Self.convolution(convolution, sum, inputShape: node.inputShape,
                                                outputShape: node.outputShape, pairCovariances: pairCovariances))
            case .pool(let pooling):
                moments.append(Self.pool(pooling, sum, inputShape: node.inputShape, outputShape: node.outputShape,
                                         pairCovariances: pairCovariances))
            case .flatten, .output:
                moments.append(sum)
            case .scale(let scale):
                var scaled = sum
                scaled.spikes = false
                scaled.sums = nil
                for j in 0..<count {
                    scaled.mean[j] *= Double(scale[j])
                    scaled.variance[j] *= Double(scale[j] * scale[j])
                }
                let meanScale = scale.reduce(0.0) { $0 + Double($1) } / Double(count)
                scaled.meanField = (sum.meanField.mean * meanScale, sum.meanField.variance * meanScale * meanScale)
                scaled.pairs = sum.pairs?.scaled { Double(scale[$0]) }
                moments.append(scaled)
            case .neurons(let neurons):
                let (output, layer) = Self.neurons(neurons, sum, node: index, name: node.name)
                moments.append(output)
                layers.append(layer)
            }
        }
        self.layers = layers
        self.graph = NetworkGraph(nodes: nodes)
        self.inputMoments = inputMoments
    }

    /// With `pairCovariances` and correlated inputs, the variance takes every pair (section 9.4) and, within the work
    /// limit, the outputs' pairs are computed; independent inputs give outputs taken as independent (their pairs,
    /// n^2 / 2 of them through every shared input, are the part of A1 this leaves in dense layers).
    static func dense(_ dense: NetworkGraph.Dense, _ input: Moments, pairCovariances: Bool = false) -> Moments {
        var mean = [Double](repeating: 0, count: dense.outputs)
        var variance = [Double](repeating: 0, count: dense.outputs)
        var largest = [Double](repeating: 0, count: dense.outputs)
        var squares = 0.0
        for i in 0..<dense.outputs {
            var m = dense.bias.isEmpty ? 0 : Double(dense.bias[i]), v = 0.0, top = 0.0
            let row = i * dense.inputs
            for j in 0..<dense.inputs {
                let w = Double(dense.weight[row + j])
                m += w * input.mean[j]
                let term = w * w * input.variance[j]
                v += term
                top = max(top, term)
                squares += w * w
            }
            mean[i] = m
            variance[i] = v
            largest[i] = v > 0 ? top / v : 0
        }
        let secondMoment = squares / Double(dense.weight.count)
        let inputSecond = input.meanField.variance + input.meanField.mean * input.meanField.mean
        var sums: [BernoulliSum]?
        var pairs: PairCovariance?
        if pairCovariances, let inputPairs = input.pairs {
            let rows = LinearRows(inputs: Array(repeating: (0..<dense.inputs).map(Int32.init), count: dense.outputs),
                                  weights: (0..<dense.outputs).map { i in
                                      (0..<dense.inputs).map { Double(dense.weight[i * dense.inputs + $0]) }
                                  }, inputCount: dense.inputs)
            (variance, pairs) = rows.propagate(variance: input.variance, pairs: inputPairs,
                                               outputPairs: true,
                                               workLimit: pairWorkLimit)
        }
        if input.spikes, input.pairs == nil, dense.inputs <= BernoulliSum.saddlePointLimit {
            sums = (0..<dense.outputs).map { i in
                BernoulliSum(weights: (0..<dense.inputs).map { Double(dense.weight[i * dense.inputs + $0]) }
                                 + [dense.bias.isEmpty ? 0 : Double(dense.bias[i])],
                             probabilities: input.mean + [1])
            }
        }
        return Moments(mean: mean, variance: variance,
                       meanField: (0, Double(dense.inputs) * secondMoment * inputSecond), largestShare: largest,
                       fanIn: dense.inputs, sums: sums, pairs: pairs)
    }

    /// Direct cross-correlation with zero padding, channels first; one or two spatial dimensions. With
    /// `pairCovariances`, the outputs' pairs (neighbours reading common inputs, or correlated ones) within the work
    /// limit, and each variance with its inputs' pairs (section 9.4).
    static func convolution(_ c: NetworkGraph.Convolution, _ input: Moments, inputShape: [Int],
                            outputShape: [Int], pairCovariances: Bool = false) -> Moments {
        let rank = c.kernel.count
        let inSize = rank == 2 ? (inputShape[1], inputShape[2]) : (1, inputShape[1])
        let outSize = rank == 2 ? (outputShape[1], outputShape[2]) : (1, outputShape[1])
        let kernel = rank == 2 ? (c.kernel[0], c.kernel[1]) : (1, c.kernel[0])
        let stride = rank == 2 ? (c.stride[0], c.stride[1]) : (1, c.stride[0])
        let padding = rank == 2 ? (c.padding[0], c.padding[1]) : (0, c.padding[0])
        let dilation = rank == 2 ? (c.dilation[0], c.dilation[1]) : (1, c.dilation[0])
        let perGroupIn = c.inputChannels / c.groups, perGroupOut = c.outputChannels / c.groups
        let count = c.outputChannels * outSize.0 * outSize.1
        var mean = [Double](repeating: 0, count: count)
        var variance = [Double](repeating: 0, count: count)
        var largest = [Double](repeating: 0, count: count)
        let keepSums = input.spikes && input.pairs == nil && c.fanIn <= BernoulliSum.saddlePointLimit
        var rows = LinearRows(inputs: Array(repeating: [], count: pairCovariances ? count : 0),
                              weights: Array(repeating: [], count: pairCovariances ? count : 0),
                              inputCount: input.mean.count)
        var sums: [BernoulliSum] = []
        var rowWeights: [Double] = [], rowProbabilities: [Double] = []
        for o in 0..<c.outputChannels {
            let group = o / perGroupOut
            for y in 0..<outSize.0 {
                for x in 0..<outSize.1 {
                    var m = c.bias.isEmpty ? 0 : Double(c.bias[o]), v = 0.0, top = 0.0
                    rowWeights.removeAll(keepingCapacity: true)
                    rowProbabilities.removeAll(keepingCapacity: true)
                    for ci in 0..<perGroupIn {
                        let channel = group * perGroupIn + ci
                        for ky in 0..<kernel.0 {
                            let iy = y * stride.0 - padding.0 + ky * dilation.0
                            guard iy >= 0, iy < inSize.0 else { continue }
                            for kx in 0..<kernel.1 {
                                let ix = x * stride.1 - padding.1 + kx * dilation.1
                                guard ix >= 0, ix < inSize.1 else { continue }
                                let w = Double(c.weight[((o * perGroupIn + ci) * kernel.0 + ky) * kernel.1 + kx])
                                let j = (channel * inSize.0 + iy) * inSize.1 + ix
                                if pairCovariances {
                                    let i = (o * outSize.0 + y) * outSize.1 + x
                                    rows.inputs[i].append(Int32(j))
                                    rows.weights[i].append(w)
                                }
                                m += w * input.mean[j]
                                let term = w * w * input.variance[j]
                                v += term
                                top = max(top, term)
                                if keepSums {
                                    rowWeights.append(w)
                                    rowProbabilities.append(input.mean[j])
                                }
                            }
                        }
                    }
                    if keepSums {
                        sums.append(BernoulliSum(weights: rowWeights + [c.bias.isEmpty ? 0 : Double(c.bias[o])],
                                                 probabilities: rowProbabilities + [1]))
                    }
                    let i = (o * outSize.0 + y) * outSize.1 + x
                    mean[i] = m
                    variance[i] = v
                    largest[i] = v > 0 ? top / v : 0
                }
            }
        }
        var pairs: PairCovariance?
        if pairCovariances {
            let propagated = rows.propagate(variance: input.variance, pairs: input.pairs,
                                            outputPairs: true,
                                            workLimit: pairWorkLimit)
            if input.pairs != nil { variance = propagated.0 }
            pairs = propagated.1
        }
        let secondMoment = c.weight.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(c.weight.count)
        let inputSecond = input.meanField.variance + input.meanField.mean * input.meanField.mean
        return Moments(mean: mean, variance: variance,
                       meanField: (0, Double(c.fanIn) * secondMoment * inputSecond), largestShare: largest,
                       fanIn: c.fanIn, sums: keepSums ? sums : nil, pairs: pairs)
    }

    static func pool(_ p: NetworkGraph.Pooling, _ input: Moments, inputShape: [Int], outputShape: [Int],
                     pairCovariances: Bool = false) -> Moments {
        let (channels, height, width) = (inputShape[0], inputShape[1], inputShape[2])
        let (outHeight, outWidth) = (outputShape[1], outputShape[2])
        let window = Double(p.kernel[0] * p.kernel[1])
        let factor = p.average ? 1 / window : 1
        var mean = [Double](repeating: 0, count: channels * outHeight * outWidth)
        var variance = mean
        var rows = LinearRows(inputs: Array(repeating: [], count: pairCovariances ? mean.count : 0),
                              weights: Array(repeating: [], count: pairCovariances ? mean.count : 0),
                              inputCount: input.mean.count)
        for c in 0..<channels {
            for y in 0..<outHeight {
                for x in 0..<outWidth {
                    var m = 0.0, v = 0.0
                    for ky in 0..<p.kernel[0] {
                        let iy = y * p.stride[0] - p.padding[0] + ky
                        guard iy >= 0, iy < height else { continue }
                        for kx in 0..<p.kernel[1] {
                            let ix = x * p.stride[1] - p.padding[1] + kx
                            guard ix >= 0, ix < width else { continue }
                            if pairCovariances {
                                rows.inputs[(c * outHeight + y) * outWidth + x].append(Int32((c * height + iy) * width + ix))
                                rows.weights[(c * outHeight + y) * outWidth + x].append(factor)
                            }
                            m += input.mean[(c * height + iy) * width + ix]
                            v += input.variance[(c * height + iy) * width + ix]
                        }
                    }
                    mean[(c * outHeight + y) * outWidth + x] = m * factor
                    variance[(c * outHeight + y) * outWidth + x] = v * factor * factor
                }
            }
        }
        var pairs: PairCovariance?
        if pairCovariances {
            let propagated = rows.propagate(variance: input.variance, pairs: input.pairs,
                                            outputPairs: true,
                                            workLimit: pairWorkLimit)
            if input.pairs != nil { variance = propagated.0 }
            pairs = propagated.1
        }
        return Moments(mean: mean, variance: variance,
                       meanField: (input.meanField.mean * window * factor,
                                   input.meanField.variance * window * factor * factor),
                       largestShare: input.largestShare.map { _ in Array(repeating: 0, count: mean.count) },
                       fanIn: input.fanIn, pairs: pairs)
    }

    static func neurons(_ neurons: NetworkGraph.NeuronLayer, _ input: Moments, node: Int,
                        name: String) -> (Moments, Layer) {
        let count = neurons.count
        var uMean = [Double](repeating: 0, count: count), uVariance = uMean
        for i in 0..<count {
            let gain = Double(neurons.gain[i])
            uMean[i] = gain * input.mean[i] + Double(neurons.bias[i])
            uVariance[i] = gain * gain * input.variance[i]
        }
        let populationMean = uMean.reduce(0, +) / Double(count)
        let membraneVariance = uVariance.reduce(0, +) / Double(count)
            + uMean.reduce(0) { $0 + ($1 - populationMean) * ($1 - populationMean) } / Double(count)
        let meanGain = neurons.gain.reduce(0.0) { $0 + Double($1) } / Double(count)
        let meanBias = neurons.bias.reduce(0.0) { $0 + Double($1) } / Double(count)
        let fieldMean = meanGain * input.meanField.mean + meanBias
        let fieldVariance = meanGain * meanGain * input.meanField.variance
        let dominated = input.largestShare.map { shares in
            Double(shares.filter { $0 > 0.1 }.count) / Double(max(shares.count, 1))
        } ?? 0
        guard let threshold = neurons.threshold else {
            let layer = Layer(node: node, name: name, rates: nil, membraneMeans: uMean, membraneVariances: uVariance,
                              membraneVariance: membraneVariance, meanFieldVariance: fieldVariance, meanFieldRate: nil,
                              fanIn: input.fanIn, dominatedFraction: dominated, tailMethods: [:],
                              correlatedPairs: input.pairs?.pairCount ?? 0)
            return (Moments(mean: uMean, variance: uVariance, meanField: (fieldMean, fieldVariance),
                            pairs: input.pairs?.scaled { Double(neurons.gain[$0]) }), layer)
        }
        var rates = [Double](repeating: 0, count: count), outMean = rates, outVariance = rates
        var methods: [BernoulliSum.Method: Int] = [:]
        // Per neuron, the spike levels k (1 alone for single spikes) as standard-normal thresholds z_k with
        // P(n >= k) = Q(z_k): the pairs' joint law is the bivariate normal with these marginals (section 9.4).
        var levels = [[(z: Double, q: Double)]](repeating: [], count: input.pairs == nil ? 0 : count)
        for i in 0..<count {
            let theta = Double(threshold[i])
            let gain = Double(neurons.gain[i])
            let (first, second): (Double, Double)
            if let sum = input.sums?[i], gain > 0, sum.method != .gaussian {
                // u >= x  <=>  S >= (x - bias) / gain.
                let bias = Double(neurons.bias[i])
                (first, second) = spikeMoments(threshold: theta, multiSpike: neurons.multiSpike) { x, inclusive in
                    sum.tail((x - bias) / gain, inclusive: inclusive)
                }
                methods[sum.method, default: 0] += 1
                if !levels.isEmpty {
                    levels[i] = spikeLevels(threshold: theta, multiSpike: neurons.multiSpike) { x, inclusive in
                        sum.tail((x - bias) / gain, inclusive: inclusive)
                    }
                }
            } else {
                (first, second) = spikeMoments(mean: uMean[i], sd: uVariance[i].squareRoot(), threshold: theta,
                                               multiSpike: neurons.multiSpike)
                methods[.gaussian, default: 0] += 1
                let sd = uVariance[i].squareRoot()
                if !levels.isEmpty, sd > 0 {
                    levels[i] = spikeLevels(threshold: theta, multiSpike: neurons.multiSpike) { x, inclusive in
                        exceeds(uMean[i], sd, x, inclusive: inclusive)
                    }
                }
            }
            rates[i] = first
            outMean[i] = first
            outVariance[i] = max(0, second - first * first)
        }
        let meanTheta = threshold.reduce(0.0) { $0 + Double($1) } / Double(count)
        let (fieldFirst, fieldSecond) = spikeMoments(mean: fieldMean, sd: fieldVariance.squareRoot(),
                                                     threshold: meanTheta, multiSpike: neurons.multiSpike)
        let layer = Layer(node: node, name: name, rates: rates, membraneMeans: uMean, membraneVariances: uVariance,
                          membraneVariance: membraneVariance, meanFieldVariance: fieldVariance,
                          meanFieldRate: fieldFirst,
                          fanIn: input.fanIn, dominatedFraction: dominated, tailMethods: methods,
                          correlatedPairs: input.pairs?.pairCount ?? 0)
        let pairs = input.pairs.map { spikePairs($0, levels: levels, gain: neurons.gain, variance: uVariance) }
        return (Moments(mean: outMean, variance: outVariance,
                        meanField: (fieldFirst, max(0, fieldSecond - fieldFirst * fieldFirst)),
                        spikes: !neurons.multiSpike, pairs: pairs.flatMap { $0.pairCount > 0 ? $0 : nil }), layer)
    }

    /// The thresholds z_k = Q^-1(P(n >= k)) and P(n >= k) of every spike level with 1e-12 < P(n >= k) < 1 (a level
    /// certain or impossible adds nothing to a covariance; one of probability p adds at most p).
    static func spikeLevels(threshold theta: Double, multiSpike: Bool,
                            tail: (Double, Bool) -> Double) -> [(z: Double, q: Double)] {
        guard multiSpike, theta > 0 else {
            let p = tail(theta, false)
            return p > 1e-12 && p < 1 ? [(StandardNormal.inverseTail(p), p)] : []
        }
        var levels: [(z: Double, q: Double)] = []
        var k = 1
        while k < 100_000 {
            let p = tail(Double(k) * theta, true)
            if p <= 1e-12 { break }
            if p < 1 { levels.append((StandardNormal.inverseTail(p), p)) }
            k += 1
        }
        return levels
    }

    /// Cov(n_a, n_b) = sum_k sum_l [P(Z_a > z_ak, Z_b > z_bl; rho_ab) - Q(z_ak) Q(z_bl)] for every pair whose inputs
    /// have a covariance, rho_ab = gain_a gain_b Cov(x_a, x_b) / (sd_a sd_b) the correlation of u_a and u_b (section
    /// 9.4: u Gaussian pairwise, with the neurons' own marginals).
    static func spikePairs(_ input: PairCovariance, levels: [[(z: Double, q: Double)]], gain: [Float],
                           variance: [Double])
        -> PairCovariance
    {
        var out = PairCovariance(count: input.count)
        for a in 0..<input.count where !levels[a].isEmpty {
            let sdA = variance[a].squareRoot()
            for (bb, c) in zip(input.partners[a], input.values[a]) {
                let b = Int(bb)
                let sdB = variance[b].squareRoot()
                guard b > a, !levels[b].isEmpty, sdA > 0, sdB > 0 else { continue }
                let rho = min(1, max(-1, Double(gain[a]) * Double(gain[b]) * c / (sdA * sdB)))
                var cov = 0.0
                if rho >= 1 || rho <= -1 {
                    for la in levels[a] {
                        for lb in levels[b] {
                            cov += BivariateNormal.upperOrthantFast(la.z, lb.z, correlation: rho) - la.q * lb.q
                        }
                    }
                } else {
                    for la in levels[a] {
                        for lb in levels[b] {
                            cov += BivariateNormal.orthantExcess(la.z, lb.z, correlation: rho, tails: (la.q, lb.q))
                        }
                    }
                }
                guard cov != 0 else { continue }
                out.partners[a].append(bb)
                out.values[a].append(cov)
                out.partners[b].append(Int32(a))
                out.values[b].append(cov)
            }
        }
        return out
    }

    /// P(u > theta) (or u >= theta) for u ~ N(mean, sd^2); a point mass when sd is 0.
    static func exceeds(_ mean: Double, _ sd: Double, _ theta: Double, inclusive: Bool) -> Double {
        if sd == 0 { return inclusive ? (mean >= theta ? 1 : 0) : (mean > theta ? 1 : 0) }
        return StandardNormal.tail((theta - mean) / sd)
    }

    /// E[n] and E[n^2] for n the spikes of one step: 1{u > theta}, or floor(u / theta) for u >= theta
    /// (E[n] = sum_k P(u >= k theta), E[n^2] = sum_k (2k - 1) P(u >= k theta), summed until the terms vanish).
    static func spikeMoments(mean: Double, sd: Double, threshold theta: Double,
                             multiSpike: Bool) -> (Double, Double) {
        spikeMoments(threshold: theta, multiSpike: multiSpike, beyond: mean) { x, inclusive in
            exceeds(mean, sd, x, inclusive: inclusive)
        }
    }

    /// The same from any tail P(u > x) (or u >= x, `inclusive`); the sum stops once the terms vanish past `beyond`.
    static func spikeMoments(threshold theta: Double, multiSpike: Bool, beyond: Double = -.infinity,
                             tail: (Double, Bool) -> Double) -> (Double, Double) {
        guard multiSpike, theta > 0 else {
            let p = tail(theta, false)
            return (p, p)
        }
        var first = 0.0, second = 0.0
        var k = 1
        while k < 100_000 {
            let p = tail(Double(k) * theta, true)
            if p < 1e-17 && Double(k) * theta > beyond { break }
            first += p
            second += Double(2 * k - 1) * p
            k += 1
        }
        return (first, second)
    }
}
