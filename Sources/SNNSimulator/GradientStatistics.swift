/// The backward pass's statistics of layer l over R networks (`Simulator.run(_: GradientConfiguration)`).
///
/// Each value is the mean over networks of a per-network variance, with its standard error (`Estimate`); each
/// `...Relative` is the same divided by the last layer's: the ratio of the means over networks, mean_r(a_r) /
/// mean_r(b_r), with the delta-method standard error sqrt(sum_r (a_r - ratio b_r)^2 / (R (R - 1))) / |mean_r(b_r)|
/// (`nil` when R = 1), itself `nil` when the last layer's mean is 0. A depth profile chi^(L - l) is a statement about
/// such ratios of expectations.
public struct GradientLayerStatistics: Sendable, Equatable, Codable {
    /// l, from 1.
    public let layer: Int
    /// `deltaVariance[t - 1]`: Var[delta_l[t]], unbiased over the n_l B entries of step t.
    public let deltaVariance: [Estimate]
    public let deltaVarianceRelative: [Estimate?]
    /// Var[delta_l] pooled over the steps: unbiased over the n_l B T entries.
    public let deltaVariancePooled: Estimate
    public let deltaVariancePooledRelative: Estimate?
    /// The variance of the entries of the per-item weight gradients dL_b/dW_l = sum_t delta_l[b, t] s_{l-1}[b, t]^T
    /// (unbiased over n_l n_{l-1} B entries).
    public let itemGradientVariance: Estimate
    public let itemGradientVarianceRelative: Estimate?
    /// The variance of the entries of the weight gradient summed over the batch, sum_b dL_b/dW_l (unbiased over
    /// n_l n_{l-1} entries). It carries the cross-item terms sum_{b != b'} <G^b, G^b'>, so its depth profile is not
    /// the per-item one's.
    public let batchGradientVariance: Estimate
    public let batchGradientVarianceRelative: Estimate?
    /// Per network, in network order: `networkDeltaVariances[t - 1]`, and the per-layer values.
    public let networkDeltaVariances: [[Double]]
    public let networkDeltaVariancesPooled: [Double]
    public let networkItemGradientVariances: [Double]
    public let networkBatchGradientVariances: [Double]
}

/// The backward pass's statistics of every layer.
public struct GradientStatistics: Sendable, Equatable {
    public let configuration: GradientConfiguration
    /// `layers[l - 1]` for l = 1...L.
    public let layers: [GradientLayerStatistics]

    init(configuration: GradientConfiguration, results r: GradientResults) {
        self.configuration = configuration
        let networks = r.networks, depth = r.layers, steps = r.steps
        func perLayer(_ values: UnsafeMutableBufferPointer<Double>, _ l: Int) -> [Double] {
            (0..<networks).map { values[$0 * depth + l] }
        }
        func perStep(_ l: Int, _ t: Int) -> [Double] {
            (0..<networks).map { r.deltaVariances[($0 * depth + l) * steps + t] }
        }
        let last = depth - 1
        layers = (0..<depth).map { l in
            let deltas = (0..<steps).map { perStep(l, $0) }
            let pooled = perLayer(r.deltaVariancesPooled, l)
            let item = perLayer(r.itemGradientVariances, l), batch = perLayer(r.batchGradientVariances, l)
            return GradientLayerStatistics(
                layer: l + 1,
                deltaVariance: deltas.map(Estimate.init(samples:)),
                deltaVarianceRelative: (0..<steps).map { Estimate(ratio: deltas[$0], to: perStep(last, $0)) },
                deltaVariancePooled: Estimate(samples: pooled),
                deltaVariancePooledRelative: Estimate(ratio: pooled, to: perLayer(r.deltaVariancesPooled, last)),
                itemGradientVariance: Estimate(samples: item),
                itemGradientVarianceRelative: Estimate(ratio: item, to: perLayer(r.itemGradientVariances, last)),
                batchGradientVariance: Estimate(samples: batch),
                batchGradientVarianceRelative: Estimate(ratio: batch, to: perLayer(r.batchGradientVariances, last)),
                networkDeltaVariances: deltas, networkDeltaVariancesPooled: pooled,
                networkItemGradientVariances: item, networkBatchGradientVariances: batch)
        }
    }
}

extension Estimate {
    /// The ratio of means mean(a) / mean(b) of paired per-network values, with the delta-method standard error
    /// sqrt(sum_r (a_r - ratio b_r)^2 / (R (R - 1))) / |mean(b)| (`nil` when R = 1); `nil` when mean(b) = 0.
    init?(ratio a: [Double], to b: [Double]) {
        let r = Double(a.count)
        let meanB = b.reduce(0, +) / r
        guard meanB != 0 else { return nil }
        let ratio = (a.reduce(0, +) / r) / meanB
        var squares = 0.0
        for k in a.indices { squares += (a[k] - ratio * b[k]) * (a[k] - ratio * b[k]) }
        self.init(mean: ratio, standardError: a.count > 1 ? (squares / (r * (r - 1))).squareRoot() / abs(meanB) : nil)
    }
}
