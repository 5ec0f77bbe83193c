import Foundation
import SNNModel

// The exact finite-width theory of the first time step (THEORY.md section 5).
//
// Model. At t = 1 the potential is the input current, u_l = I_l = W_l s_{l-1}. Given the k_{l-1} neurons of layer
// l-1 that spiked and iid weights N(0, Var[w_l]), the n_l currents of layer l are iid N(0, Var[w_l] k_{l-1}), so
//
//     k_l | k_{l-1} ~ Binomial(n_l, Q(theta / sqrt(Var[w_l] k_{l-1}))),   k = 0 absorbing (the network went silent)
//
// a Markov chain whose law at every depth is the exact law of the activity across networks and inputs.
// Layer 1: Bernoulli(p) input spikes give k_0 ~ Binomial(n_0, p) and then the same step; an analog input
// x ~ N(0, S^2 I) gives currents N(0, Var[w_1] |x|^2) given x, with |x|^2 ~ S^2 chi^2_{n_0}, so layer 1 is a
// mixture of binomials over that chi-square law.
//
// Assumptions: Gaussian weights, independent across entries and layers, drawn afresh for each network; the first
// time step only (no leak or reset history); nothing about the width: the chain is exact for every n_l, and the
// mean-field recursion of section 3 is its n -> infinity limit.
//
// Numerical method. The law of k_l is a probability vector over 0...n_l, pushed through the transition one row at a
// time (the matrix is never stored; rows are rectangular when widths differ). A row's mode is evaluated in log space
// by Loader's saddle-point formula (`Binomial`) with p = Q(z) and q = Q(-z) from `StandardNormal`, so neither
// underflows nor cancels, and the rest of the row by the exact ratio of neighbouring binomial terms, walking outward
// until a term P(k_{l-1} = k) B(j | k) falls below the negligible level (default 1e-300). Rows are concentrated
// (mode +- about 37 standard deviations at 1e-300), which makes a step O(n sqrt n) instead of O(n^2).
// The chi-square mixture of an analog input is a composite 20-point Gauss-Legendre rule (GSL) in ln |x|^2, with
// panels of half the width of the narrower of the chi-square law and the binomial response; the part of the
// chi-square law so small that every neuron is certainly silent is added to P(k_1 = 0) through GSL's chi-square CDF.
//
// Accuracy. Each row sums to 1 within a few ulp (tested to 1e-12 at widths up to 4096) and every term of it to about
// 1e-15 relative near the mode, 1e-13 in the far tail. The truncation removes at most about 100 n times the negligible
// level of probability per layer (below 1e-290 over 1000 layers of width 4096), so every probability well above that
// keeps its relative precision and smaller ones are dropped, never turned into garbage. The total probability drifts
// by rounding only (below 1e-12 over 1000 layers). Checked against an extended-precision dense computation (1e-14),
// the document's reference values, and adaptive quadrature for the analog input.
// Cost: one step touches only the kept terms, about 2.5 million at width 4096 and theta 1 (the full matrix has 16.8
// million); width 4096, depth 1000 takes 2.5 to 4 s of CPU in a release build, spread over up to 8 threads, with a
// result that does not depend on the number of threads.

/// One layer of the exact finite-width prediction at the first time step: statistics of its law across networks.
public struct FiniteWidthLayer: Sendable, Equatable {
    /// 1-based layer index.
    public let layer: Int
    /// n_l.
    public let width: Int
    /// Var[w_l].
    public let weightVariance: Double
    /// P(k_l = 0): the network is silent from this layer on.
    public let silentProbability: Double
    /// E[k_l / n_l] over networks, silent ones included.
    public let meanRate: Double
    /// E[k_l / n_l | k_l > 0]: the mean rate among networks still active (nil when none is).
    public let meanRateGivenActive: Double?
    /// sd[k_l / n_l] across networks.
    public let rateStandardDeviation: Double
    /// Quantiles of the rate k_l / n_l across networks: min { k / n_l : P(k_l <= k) >= level }.
    public let rate5thPercentile: Double
    public let rateMedian: Double
    public let rate95thPercentile: Double
    /// The membrane variance of a network, Var[u_l | k_{l-1}] = Var[w_l] k_{l-1} (Var[w_1] |x|^2 for an analog
    /// input): its mean across networks ...
    public let membraneVarianceMean: Double
    /// ... and its standard deviation across networks.
    public let membraneVarianceStandardDeviation: Double
    /// The mean-field (infinite-width) rate of the same layer, from `VarianceRecursion.firstStep`.
    public let meanFieldRate: Double
    /// P(k_l / n_l > 2 * meanFieldRate): the network sits on the saturated side of an unstable fixed point.
    /// Once the mean-field rate underflows to 0 this is the probability of any activity.
    public let saturatedProbability: Double
}

/// The Markov chain of active counts k_l at the first time step (see the comment at the top of this file).
public struct FiniteWidthChain: Sendable {
    public let architecture: Architecture
    public let neuron: NeuronModel
    public let input: InputEncoding
    /// Var[w_l], index 0 for layer 1.
    public let weightVariances: [Double]
    /// Terms P(k_{l-1} = k) B(j | k) below this are dropped. Smaller is more exact and slower: the work per layer
    /// grows like ln(1 / negligibleProbability).
    public let negligibleProbability: Double

    /// The widest layer the chain is computed for (65536 x depth 100 takes about 3 s; the cost keeps growing with
    /// the width while the chain's answer approaches the mean field).
    public static let widthLimit = 65536

    /// The chain of the network, for its weight variances (`Network.weightVariances`).
    public init(_ network: Network, negligibleProbability: Double = 1e-300) throws {
        try self.init(architecture: network.architecture, neuron: network.neuron, input: network.input,
                      weightVariances: network.weightVariances(), negligibleProbability: negligibleProbability)
    }

    init(architecture: Architecture, neuron: NeuronModel, input: InputEncoding, weightVariances: [Double],
         negligibleProbability: Double = 1e-300) throws
    {
        if let widest = architecture.widths.max(), widest > Self.widthLimit {
            throw ModelError.invalid(parameter: "width", value: "\(widest)",
                                     allowed: "at most \(Self.widthLimit) neurons per layer for the exact finite-width chain")
        }
        guard weightVariances.count == architecture.depth else {
            throw ModelError.invalid(parameter: "weight variances", value: "\(weightVariances.count) values",
                                     allowed: "one per layer (\(architecture.depth))")
        }
        for v in weightVariances where !(v.isFinite && v >= 0) {
            throw ModelError.invalid(parameter: "weight variance", value: "\(v)", allowed: "a finite number >= 0")
        }
        try Self.checkNegligibleProbability(negligibleProbability)
        self.architecture = architecture
        self.neuron = neuron
        self.input = input
        self.weightVariances = weightVariances
        self.negligibleProbability = negligibleProbability
    }

    /// The accepted truncation of the chain's distributions (terms below it are dropped): 1e-300 to 1e-6.
    public static func checkNegligibleProbability(_ p: Double) throws {
        guard p >= 1e-300, p <= 1e-6 else {
            throw ModelError.invalid(parameter: "negligible-probability", value: "\(p)",
                                     allowed: "a number in [1e-300, 1e-6]")
        }
    }

    /// The chain for an initialization scheme (`WeightVariance.forScheme`).
    init(scheme: InitScheme, architecture: Architecture, neuron: NeuronModel, input: InputEncoding,
                targetVariance: Double = 1, negligibleProbability: Double = 1e-300) throws
    {
        try self.init(architecture: architecture, neuron: neuron, input: input,
                      weightVariances: try WeightVariance.checked(scheme, architecture: architecture, neuron: neuron,
                                                                input: input, targetVariance: targetVariance),
                      negligibleProbability: negligibleProbability)
    }

    /// Per-layer statistics for layers 1...depth (all layers by default).
    public func layers(through depth: Int? = nil) throws -> [FiniteWidthLayer] {
        let last = depth ?? architecture.depth
        precondition(last >= 1 && last <= architecture.depth, "a depth in 1...\(architecture.depth)")
        let meanField = VarianceRecursion.firstStep(architecture: architecture, neuron: neuron, input: input,
                                                    weightVariances: weightVariances)
        var result: [FiniteWidthLayer] = []
        result.reserveCapacity(last)
        try propagate(through: last) { l, previous, current in
            let v = weightVariances[l - 1]
            let membraneMean: Double, membraneSD: Double
            if let previous {
                membraneMean = v * previous.meanCount
                membraneSD = v * previous.countVariance.squareRoot()
            } else {
                // Analog input: Var[w_1] |x|^2 with |x|^2 ~ S^2 chi^2_{n_0}, mean S^2 n_0 and sd S^2 sqrt(2 n_0).
                let n0 = Double(architecture.fanIn(layer: 1)), s2 = input.secondMoment
                membraneMean = v * s2 * n0
                membraneSD = v * s2 * (2 * n0).squareRoot()
            }
            let mfRate = meanField[l - 1].rate
            result.append(FiniteWidthLayer(
                layer: l, width: current.width, weightVariance: v,
                silentProbability: current.silentProbability, meanRate: current.meanRate,
                meanRateGivenActive: current.meanRateGivenActive,
                rateStandardDeviation: current.rateStandardDeviation,
                rate5thPercentile: current.rateQuantile(0.05), rateMedian: current.rateQuantile(0.5),
                rate95thPercentile: current.rateQuantile(0.95),
                membraneVarianceMean: membraneMean, membraneVarianceStandardDeviation: membraneSD,
                meanFieldRate: mfRate, saturatedProbability: current.probability(rateAbove: 2 * mfRate)))
        }
        return result
    }

    /// The law of k_l at `layer` (1-based).
    public func distribution(atLayer layer: Int) throws -> ActiveCountDistribution {
        precondition(layer >= 1 && layer <= architecture.depth, "a layer in 1...depth")
        var result: ActiveCountDistribution?
        try propagate(through: layer) { l, _, current in if l == layer { result = current } }
        return result!
    }

    /// P(k_layer = 0): the probability that a network is silent at (and after) `layer`.
    public func silentProbability(atLayer layer: Int) throws -> Double {
        try distribution(atLayer: layer).silentProbability
    }

    /// Calls `body(l, law of k_{l-1} or nil for an analog input at l = 1, law of k_l)` for l = 1...last.
    func propagate(through last: Int,
                   _ body: (Int, ActiveCountDistribution?, ActiveCountDistribution) throws -> Void) throws
    {
        let theta = neuron.threshold
        var previous: ActiveCountDistribution?
        var current: ActiveCountDistribution
        switch input {
        case let .bernoulli(rate):
            let inputCounts = Self.binomialDistribution(trials: architecture.fanIn(layer: 1), p: rate, q: 1 - rate)
            previous = inputCounts
            current = Self.step(from: inputCounts, weightVariance: weightVariances[0], threshold: theta,
                                toWidth: architecture.width(layer: 1), negligible: negligibleProbability)
        case let .gaussian(std):
            previous = nil
            current = try Self.analogInputLayer(
                inputSize: architecture.fanIn(layer: 1), inputVariance: std * std, weightVariance: weightVariances[0],
                threshold: theta, width: architecture.width(layer: 1), negligible: negligibleProbability)
        }
        try body(1, previous, current)
        if last < 2 { return }
        for l in 2...last {
            previous = current
            current = Self.step(from: current, weightVariance: weightVariances[l - 1], threshold: theta,
                                toWidth: architecture.width(layer: l), negligible: negligibleProbability)
            try body(l, previous, current)
        }
    }

    /// Binomial(n, p) in full (terms below 1e-300 dropped); the law of k_0 for Bernoulli(p) input spikes.
    static func binomialDistribution(trials n: Int, p: Double, q: Double) -> ActiveCountDistribution {
        ActiveCountDistribution(width: n, probabilities: mixture(rows: 1, width: n, negligible: 1e-300) { _ in
            (1, p, q)
        })
    }

    /// P(s = 1 | k active inputs) = Q(z) and its complement Q(-z), z = theta / sqrt(Var[w] k), each to full relative
    /// accuracy.
    static func spikeProbabilities(activeInputs k: Int, weightVariance v: Double, threshold theta: Double)
        -> (p: Double, q: Double)
    {
        let z = theta / (v * Double(k)).squareRoot()
        return (StandardNormal.tail(z), StandardNormal.tail(-z))
    }

    /// Row k of the transition matrix into a layer of `width` neurons: P(k_l = j | k_{l-1} = k), j = 0...width,
    /// with terms below `negligible` dropped.
    static func transitionRow(activeInputs k: Int, weightVariance v: Double, threshold theta: Double, width n: Int,
                              negligible: Double = 1e-300) -> [Double]
    {
        if k == 0 { return [1] + [Double](repeating: 0, count: n) }
        let (p, q) = spikeProbabilities(activeInputs: k, weightVariance: v, threshold: theta)
        return mixture(rows: 1, width: n, negligible: negligible) { _ in (1, p, q) }
    }

    /// One step of the chain: the law of k_l from the law of k_{l-1}. The silent state maps to itself; every other
    /// count k with a non-negligible probability contributes its weighted row.
    static func step(from previous: ActiveCountDistribution, weightVariance v: Double, threshold theta: Double,
                     toWidth n: Int, negligible: Double) -> ActiveCountDistribution
    {
        let weights = previous.probabilities
        let active = weights.indices.dropFirst().filter { weights[$0] >= negligible }
        var out = mixture(rows: active.count, width: n, negligible: negligible) { i in
            let k = active[i]
            let (p, q) = spikeProbabilities(activeInputs: k, weightVariance: v, threshold: theta)
            return (weights[k], p, q)
        }
        out[0] += weights[0]
        return ActiveCountDistribution(width: n, probabilities: out)
    }

    /// sum_i w_i Binomial(n, p_i) over rows i = 0..<rows given by `row(i) = (w_i, p_i, q_i)`, as a vector over 0...n.
    ///
    /// The rows are dealt round-robin into chunks whose number depends only on the row count (at most 8), so that long
    /// and short rows spread evenly; each chunk is summed into its own buffer, on as many threads as Dispatch offers,
    /// and the buffers are added in chunk order: the result is the same on any number of cores. `row` must be safe to
    /// call concurrently.
    static func mixture(rows: Int, width n: Int, negligible: Double,
                        row: @escaping @Sendable (Int) -> (weight: Double, p: Double, q: Double)) -> [Double]
    {
        var out = [Double](repeating: 0, count: n + 1)
        guard rows > 0 else { return out }
        let chunks = min(8, max(1, rows / 64))
        let stride = n + 1
        // Per chunk: the walks up from each mode, then the walks down in reversed index (see Binomial.accumulate).
        let partials = UnsafeMutablePointer<Double>.allocate(capacity: 2 * stride * chunks)
        partials.initialize(repeating: 0, count: 2 * stride * chunks)
        defer { partials.deallocate() }
        let tables = BinomialRowTables(trials: n)
        tables.withPointers { pointers in
            let shared = SharedBuffers(partials: partials, tables: pointers)
            let sumChunk = { @Sendable (c: Int) in
                let up = shared.partials + 2 * stride * c, down = up + stride
                for i in Swift.stride(from: c, to: rows, by: chunks) {
                    let (w, p, q) = row(i)
                    Binomial.accumulate(weight: w, trials: n, p: p, q: q, negligible: negligible,
                                        tables: shared.tables, into: up, reversed: down)
                }
            }
            if chunks == 1 {
                sumChunk(0)
            } else {
                DispatchQueue.concurrentPerform(iterations: chunks, execute: sumChunk)
            }
        }
        for c in 0..<chunks {
            let up = partials + 2 * stride * c, down = up + stride
            for j in 0...n { out[j] += up[j] + down[n - j] }
        }
        return out
    }

    /// The chunks' buffers and the shared read-only tables, handed to the worker threads. Each chunk writes only its
    /// own slice of `partials`.
    private struct SharedBuffers: @unchecked Sendable {
        let partials: UnsafeMutablePointer<Double>
        let tables: BinomialRowTables.Pointers
    }

    /// Layer 1 fed by an analog input x ~ N(0, S^2 I_{n_0}): given x the n_1 currents are iid
    /// N(0, Var[w_1] |x|^2), so P(k_1 = j) = integral of Binomial(j; n_1, Q(theta / sqrt(c X))) against the
    /// chi^2_{n_0} density of X = |x|^2 / S^2, c = Var[w_1] S^2.
    ///
    /// In t = ln X the chi-square law is smooth and log-concave (log density n_0 t / 2 - e^t / 2 + const, width
    /// sqrt(2 / n_0) around ln n_0). The binomial response varies on a t-scale of at least 2.5 / sqrt(n_1) (its
    /// width in p divided by dp/dt = z phi(z) / 2, minimised over z). Panels half as wide as the narrower of the two,
    /// 20 Gauss-Legendre points each, make the rule accurate to rounding. The panels run outward from the mode until
    /// the chi-square density is negligible; on the left they stop early where even n_1 Q(z) is negligible, and the
    /// chi-square mass below that point (all neurons silent) goes to k_1 = 0 exactly.
    static func analogInputLayer(inputSize n0: Int, inputVariance s2: Double, weightVariance v: Double,
                                 threshold theta: Double, width n1: Int, negligible: Double) throws
        -> ActiveCountDistribution
    {
        let c = v * s2
        var out = [Double](repeating: 0, count: n1 + 1)
        guard c > 0 else {
            out[0] = 1
            return ActiveCountDistribution(width: n1, probabilities: out)
        }
        let rule = try chiSquareRule(inputSize: n0, width: n1, negligible: negligible) { x in
            Double(n1) * StandardNormal.tail(theta / (c * x).squareRoot()) < negligible
        }
        out = mixture(rows: rule.points.count, width: n1, negligible: negligible) { i in
            let z = theta / (c * rule.points[i]).squareRoot()
            return (rule.weights[i], StandardNormal.tail(z), StandardNormal.tail(-z))
        }
        out[0] += rule.silentMass
        return ActiveCountDistribution(width: n1, probabilities: out)
    }

    /// A quadrature rule for E[f(X)], X ~ chi^2_{n_0}: points X_i and weights (density included), plus the mass
    /// P(X < X_min) of the region cut off on the left because `silentBelow(X_min)` holds there.
    struct ChiSquareRule {
        var points: [Double] = []
        var weights: [Double] = []
        var silentMass = 0.0
    }

    static func chiSquareRule(inputSize n0: Int, width n1: Int, negligible: Double,
                              silentBelow: (Double) -> Bool) throws -> ChiSquareRule
    {
        let legendre = try GSL.gaussLegendre(points: 20)
        // With X = n_0 e^s and h = n_0 / 2, the log density of s is 0.5 ln(h / 2 pi) - delta(h) - h (e^s - 1 - s),
        // where ln Gamma(h) = (h - 1/2) ln h - h + ln sqrt(2 pi) + delta(h): every term stays O(1) near the mode
        // s = 0, where the textbook h ln X - X / 2 - h ln 2 - ln Gamma(h) would cancel terms of size n_0 ln n_0.
        let half = 0.5 * Double(n0)
        let logPeak = 0.5 * log(half / (2 * Double.pi)) - Binomial.stirlingError(real: half)
        func logDensity(_ s: Double) -> Double { logPeak - half * (expm1(s) - s) }
        let cut = logPeak + log(negligible) - 10
        let panel = 0.5 * min((2 / Double(n0)).squareRoot(), 2.5 / Double(n1).squareRoot())

        var rule = ChiSquareRule()
        func addPanel(_ a: Double) {
            for (node, weight) in zip(legendre.nodes, legendre.weights) {
                let t = a + 0.5 * panel * (node + 1)
                let w = 0.5 * panel * weight * exp(logDensity(t))
                if w > 0 {
                    rule.points.append(Double(n0) * exp(t))
                    rule.weights.append(w)
                }
            }
        }
        var a = 0.0
        while logDensity(a) >= cut {
            addPanel(a)
            a += panel
        }
        var b = 0.0
        while true {
            if logDensity(b) < cut { break }
            if silentBelow(Double(n0) * exp(b)) {
                rule.silentMass = GSL.chiSquareLowerTail(Double(n0) * exp(b), degreesOfFreedom: Double(n0))
                break
            }
            addPanel(b - panel)
            b -= panel
        }
        return rule
    }
}
