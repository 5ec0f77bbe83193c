import CKernels
import SNNModel

extension Simulator {
    /// Runs the forward pass exactly as `run(_: SimulationConfiguration)` (the same statistics, bit for bit) and, per
    /// network, backpropagation through time of the loss L = sum_t g^T s_L[t] summed over the batch, g a fixed
    /// readout of n_L standard normals (Float32, stream (seed, network, layer L + 1, block 0), which no forward draw
    /// uses). With h_l[t] = h(u_l[t] - theta) the surrogate's derivative (`configuration.surrogate`), the chain rule
    /// through the LIF update of THEORY.md section 1 gives delta_l[t] = dL/du_l[t], from t = T down to 1 with
    /// delta_l[T+1] = 0 and e_l[t] = W_{l+1}^T delta_{l+1}[t] (e_L[t] = g), in Float32 as written:
    ///
    ///     subtract, detached:  delta_l[t] = h_l[t] e_l[t] + beta delta_l[t+1]
    ///     subtract, attached:  delta_l[t] = h_l[t] (e_l[t] - theta delta_l[t+1]) + beta delta_l[t+1]
    ///     zero,     detached:  delta_l[t] = h_l[t] e_l[t] + (beta (1 - s_l[t])) delta_l[t+1]
    ///     zero,     attached:  delta_l[t] = h_l[t] (e_l[t] - (beta u_l[t]) delta_l[t+1]) + (beta (1 - s_l[t])) delta_l[t+1]
    ///
    /// (u_l[t+1] depends on u_l[t] through beta u_l[t] (subtract) or beta u_l[t] (1 - s_l[t]) (zero), and on s_l[t]
    /// through the reset: -theta s_l[t] (subtract) or the factor (1 - s_l[t]) (zero), whose derivative is -beta u_l[t];
    /// detached, that second path is cut.) The weight gradient is dL/dW_l = sum_t delta_l[t] s_{l-1}[t]^T per batch
    /// item, summed over the batch. The products W^T delta are Float32 sums in increasing neuron order, each product
    /// fused with its addition (`snn_panel_product`: one rounding, as IEEE 754 defines it, whichever CPU computes it),
    /// so the result is the same for every thread count and CPU.
    ///
    /// Per network it records Var[delta_l[t]] (unbiased over the n_l B entries), the same pooled over steps (n_l B T
    /// entries), and the unbiased variance of the entries of the per-item weight gradients dL_b/dW_l (n_l n_{l-1} B
    /// entries) and of their sum over the batch (n_l n_{l-1} entries); `GradientStatistics` averages them over
    /// networks. The two weight-gradient variances come, when B T <= n_{l-1}, from Gram matrices of the columns without
    /// forming a gradient, otherwise from the batch-summed gradient formed entry by entry (`GradientRoute`): the same
    /// quantities, whose Float32 sums differ only in rounding. All potentials are kept from the forward pass
    /// (`GradientConfiguration.estimatedBytes`); weights are redrawn from their streams.
    public static func run(_ configuration: GradientConfiguration,
                           progress: (@Sendable (_ finished: Int, _ total: Int) -> Void)? = nil) -> GradientRun {
        let c = configuration.simulation
        let depth = c.architecture.depth
        let gradients = GradientResults(networks: c.networks, layers: depth, steps: c.steps)
        let (results, computed, seconds) = NetworkLoop.run(
            c, workers: c.concurrentNetworks, completed: [], progress: progress, onNetwork: nil
        ) {
            let workspace = BackwardWorkspace(configuration: configuration)
            return { r, results in
                var trace: GradientTrace?
                workspace.run(network: r, forward: results, offset: r, into: gradients, trace: &trace)
            }
        }
        let statistics = SimulationStatistics(configuration: c, layers: results.summarize(),
                                              synapticEvents: c.synapticEvents * Double(computed) / Double(c.networks),
                                              elapsedSeconds: seconds)
        return GradientRun(statistics: statistics,
                           gradients: GradientStatistics(configuration: configuration, results: gradients))
    }

    /// Everything the forward and backward pass of network `r` compute, for checking them against an independent
    /// implementation: the same code as `run`, keeping what it otherwise discards.
    public static func trace(_ configuration: GradientConfiguration, network r: Int) -> GradientTrace {
        trace(configuration, network: r, route: nil)
    }

    /// `trace(_:network:)`, every layer's weight-gradient variances computed by `route` when one is given.
    static func trace(_ configuration: GradientConfiguration, network r: Int, route: GradientRoute?) -> GradientTrace {
        let c = configuration.simulation
        precondition(r >= 0 && r < c.networks)
        let results = NetworkResults(networks: 1, layers: c.architecture.depth, steps: c.steps)
        let gradients = GradientResults(networks: 1, layers: c.architecture.depth, steps: c.steps)
        let workspace = BackwardWorkspace(configuration: configuration, tracing: true, route: route)
        var kept: GradientTrace? = GradientTrace(configuration: configuration, network: r)
        workspace.run(network: r, forward: results, offset: 0, into: gradients, trace: &kept)
        var trace = kept!
        trace.deltaVariances = (0..<c.architecture.depth).map { l in
            (0..<c.steps).map { gradients.deltaVariances[l * c.steps + $0] }
        }
        trace.deltaVariancesPooled = Array(gradients.deltaVariancesPooled)
        trace.itemGradientVariances = Array(gradients.itemGradientVariances)
        trace.batchGradientVariances = Array(gradients.batchGradientVariances)
        return trace
    }
}

/// The result of `Simulator.run(_: GradientConfiguration)`.
public struct GradientRun: Sendable {
    /// The forward pass's statistics, identical to `Simulator.run(configuration.simulation)`'s but for the timing.
    public let statistics: SimulationStatistics
    public let gradients: GradientStatistics
}

/// One network's forward and backward pass in full (`Simulator.trace`). Matrices are column-major with column
/// c = b T + t (batch item b, step t, from 0) unless said otherwise.
public struct GradientTrace: Sendable {
    public let configuration: GradientConfiguration
    public let network: Int
    /// The input columns: n_0 x B T (spikes), or n_0 x B (an analog input, held over the steps).
    public internal(set) var input: [Float] = []
    /// g, n_L values.
    public internal(set) var readout: [Float] = []
    /// `potentials[l - 1]`: u_l, n_l x B T.
    public internal(set) var potentials: [[Float]] = []
    /// `deltas[l - 1]`: delta_l = dL/du_l, n_l x B T.
    public internal(set) var deltas: [[Float]] = []
    /// `weightGradients[l - 1]`: dL/dW_l summed over the batch, n_l x n_{l-1} row-major (Float32 sums).
    public internal(set) var weightGradients: [[Float]] = []
    /// The per-network statistics `run` records: `deltaVariances[l - 1][t - 1]`, and per layer the pooled variance,
    /// the per-item and the batch-summed weight-gradient variance.
    public internal(set) var deltaVariances: [[Double]] = []
    public internal(set) var deltaVariancesPooled: [Double] = []
    public internal(set) var itemGradientVariances: [Double] = []
    public internal(set) var batchGradientVariances: [Double] = []

    init(configuration: GradientConfiguration, network: Int) {
        self.configuration = configuration
        self.network = network
    }
}

/// Per-network gradient values, [network][layer][step] and [network][layer] flat; each network writes its own slice.
final class GradientResults: @unchecked Sendable {
    let networks: Int, layers: Int, steps: Int
    let deltaVariances: UnsafeMutableBufferPointer<Double>
    let deltaVariancesPooled: UnsafeMutableBufferPointer<Double>
    let itemGradientVariances: UnsafeMutableBufferPointer<Double>
    let batchGradientVariances: UnsafeMutableBufferPointer<Double>

    init(networks: Int, layers: Int, steps: Int) {
        self.networks = networks
        self.layers = layers
        self.steps = steps
        deltaVariances = .allocate(capacity: networks * layers * steps)
        deltaVariancesPooled = .allocate(capacity: networks * layers)
        itemGradientVariances = .allocate(capacity: networks * layers)
        batchGradientVariances = .allocate(capacity: networks * layers)
        deltaVariances.initialize(repeating: 0)
        deltaVariancesPooled.initialize(repeating: 0)
        itemGradientVariances.initialize(repeating: 0)
        batchGradientVariances.initialize(repeating: 0)
    }

    deinit {
        deltaVariances.deallocate()
        deltaVariancesPooled.deallocate()
        itemGradientVariances.deallocate()
        batchGradientVariances.deallocate()
    }
}

/// How the backward pass computes a layer's two weight-gradient variances; both routes compute the same quantities
/// (`gramAndFormedRoutesAgree` checks them against each other).
enum GradientRoute: Sendable, CaseIterable {
    /// From Gram matrices of the columns, never forming a gradient (`Backward+GramRoute.swift`): n_l (B T)^2 / 2
    /// multiply-adds in dense Float32 products, plus a count of common spikes per pair of columns.
    case gram
    /// The batch-summed gradient formed entry by entry from lists of the input's spikes, n_l adds per input spike,
    /// and per item a T x T Gram matrix (`Backward+FormedRoute.swift`).
    case formed

    /// The Gram route when B T <= n_{l-1}, which keeps its (B T)^2 storage within a few times the layer's own weight
    /// matrix. Measured on the standard workload (B T = 640, n = 1000), one core, per 100 layers: the Gram route
    /// 0.5 s (its products at 130-150 GFLOP/s), the formed route 1.8 s (list sums 1.2 s, lists 0.4 s, per-item
    /// Gram blocks 0.25 s). The Gram route's work grows as (B T)^2, the formed route's as B T times the spike rate,
    /// so the formed route wins when B T is large against the spikes per column.
    static func chosen(columns: Int, fanIn: Int) -> GradientRoute { columns <= fanIn ? .gram : .formed }
}

/// The buffers of one network's forward and backward pass, reused network after network
/// (`GradientConfiguration.estimatedBytes` counts them). Column-major Float32 matrices, column c = b T + t.
///
/// `@unchecked Sendable`: as `NetworkWorkspace`, the parallel pieces of a phase write disjoint regions.
final class BackwardWorkspace: @unchecked Sendable {
    let configuration: GradientConfiguration
    let forward: NetworkWorkspace
    let surrogate: Surrogate
    let reset: Reset, attached: Bool
    let leak: Float, threshold: Float
    let threads: Int
    let widths: [Int]
    let steps: Int, batch: Int, columns: Int
    /// `routes[l - 1]`: how layer l's weight-gradient variances are computed.
    let routes: [GradientRoute]

    /// u_l for every layer (kept by the forward pass) and the input.
    let potentials: UnsafeMutablePointer<Float>
    let potentialOffsets: [Int]
    let input: UnsafeMutablePointer<Float>
    /// g.
    let readout: UnsafeMutablePointer<Float>
    /// delta_{l+1} (`above`) and e_l, turned into delta_l in place (`current`).
    var above: UnsafeMutablePointer<Float>
    var current: UnsafeMutablePointer<Float>
    /// For the formed route and `Simulator.trace` (no room is taken otherwise): s_{l-1} (or the analog input) as
    /// n_{l-1} x B T values; per input j, the columns where it is nonzero (`listStarts[j]..<listStarts[j + 1]` in
    /// `listColumns`) and the values there.
    let activity: UnsafeMutablePointer<Float>
    let listStarts: UnsafeMutablePointer<Int>
    let listColumns: UnsafeMutablePointer<UInt32>
    let listValues: UnsafeMutablePointer<Float>
    /// W_l^T in panels of 32 columns j: panel p holds n_l entries of 32 floats, entry i = w_{i, 32p...32p+31}
    /// (zeros past n_{l-1}): the layout of the forward pass's dense kernel, with W^T in place of W.
    let transposed: UnsafeMutablePointer<Float>
    let zeros: UnsafeMutablePointer<Float>
    /// For the Gram route (no room is taken otherwise): delta_l in panels of 32 columns c: panel p holds n_l entries of
    /// 32 floats, entry i = delta_i[32p...32p+31] (zeros past B T), the layout `snn_panel_product` takes.
    let deltaPanels: UnsafeMutablePointer<Float>
    /// The Gram matrices of the columns, B T x B T row-major, entries (c, c') with c' <= c: D(c, c') = delta[c] .
    /// delta[c'] (Float32) and A(c, c') = a[c] . a[c'] (Double; spike counts for spikes).
    let deltaGram: UnsafeMutablePointer<Float>
    let inputGram: UnsafeMutablePointer<Double>
    /// delta_l with each column scaled by a power of two, and the inverse scales (`deltaGram`, then
    /// `backpropagate`).
    let scaledDeltas: UnsafeMutablePointer<Float>
    let deltaScales: UnsafeMutablePointer<Double>
    /// The spikes of each column of the layer's input as bits, (n_{l-1} + 63) / 64 words per column.
    let spikeBits: UnsafeMutablePointer<UInt64>
    /// Per column c: sum_i delta_i[c] and sum_j a_j[c] in Double; the three parts of row c of the Gram sum
    /// (`gramVariances`).
    let deltaColumnSums: UnsafeMutablePointer<Double>
    let inputColumnSums: UnsafeMutablePointer<Double>
    let rowParts: UnsafeMutablePointer<Double>
    /// Per (tile, column): sum and sum of squares of delta; for the formed route, per batch item: sum and sum of
    /// squares of the entries of its weight gradient; per tile: the same for the batch-summed gradient.
    let tileSums: UnsafeMutablePointer<Double>
    let tileSquares: UnsafeMutablePointer<Double>
    let itemSums: UnsafeMutablePointer<Double>
    let itemSquares: UnsafeMutablePointer<Double>
    let gradientSums: UnsafeMutablePointer<Double>
    let gradientSquares: UnsafeMutablePointer<Double>

    /// With `tracing`, room to form every layer's gradient (`Simulator.trace`); `route` imposes one route on every
    /// layer instead of `GradientRoute.chosen`.
    init(configuration g: GradientConfiguration, tracing: Bool = false, route: GradientRoute? = nil) {
        let c = g.simulation
        configuration = g
        forward = NetworkWorkspace(configuration: c)
        surrogate = g.surrogate
        reset = c.neuron.reset
        attached = g.resetGradient == .attached
        leak = forward.lif.leak
        threshold = forward.lif.threshold
        threads = c.threadsPerNetwork
        let widths = c.architecture.widths, columns = c.batch * c.steps
        self.widths = widths
        steps = c.steps
        batch = c.batch
        self.columns = columns
        routes = (1..<widths.count).map { route ?? GradientRoute.chosen(columns: columns, fanIn: widths[$0 - 1]) }
        let gram = routes.contains(.gram), formed = routes.contains(.formed)
        let maxLayerWidth = widths.dropFirst().max()!, maxFanIn = widths.dropLast().max()!
        var offsets = [0]
        for l in 1..<widths.count { offsets.append(offsets[l - 1] + widths[l] * columns) }
        potentialOffsets = offsets
        potentials = .allocate(capacity: offsets.last!)
        input = .allocate(capacity: widths[0] * columns)
        readout = .allocate(capacity: widths.last!)
        above = .allocate(capacity: maxLayerWidth * columns)
        current = .allocate(capacity: maxLayerWidth * columns)
        let listed = tracing || formed ? maxFanIn * columns : 0
        activity = .allocate(capacity: listed)
        listStarts = .allocate(capacity: maxFanIn + 1)
        listColumns = .allocate(capacity: listed)
        listValues = .allocate(capacity: listed)
        let maxTransposed = (2..<max(2, widths.count)).map { Simulator.paddedWidth(widths[$0 - 1]) * widths[$0] }.max() ?? 0
        transposed = UnsafeMutableRawPointer.allocate(byteCount: 4 * max(1, maxTransposed), alignment: 64)
            .bindMemory(to: Float.self, capacity: max(1, maxTransposed))
        zeros = .allocate(capacity: maxLayerWidth)
        zeros.initialize(repeating: 0, count: maxLayerWidth)
        let tiles = (maxLayerWidth + Simulator.rowsPerTile - 1) / Simulator.rowsPerTile
        let panelFloats = gram ? Simulator.paddedWidth(columns) * maxLayerWidth : 1
        deltaPanels = UnsafeMutableRawPointer.allocate(byteCount: 4 * panelFloats, alignment: 64)
            .bindMemory(to: Float.self, capacity: panelFloats)
        let gramColumns = gram ? columns : 0
        deltaGram = .allocate(capacity: gramColumns * columns)
        inputGram = .allocate(capacity: gramColumns * columns)
        scaledDeltas = .allocate(capacity: maxLayerWidth * columns)
        deltaScales = .allocate(capacity: columns)
        spikeBits = .allocate(capacity: gramColumns * ((maxFanIn + 63) / 64))
        deltaColumnSums = .allocate(capacity: gramColumns)
        inputColumnSums = .allocate(capacity: gramColumns)
        rowParts = .allocate(capacity: 3 * gramColumns)
        tileSums = .allocate(capacity: tiles * columns)
        tileSquares = .allocate(capacity: tiles * columns)
        itemSums = .allocate(capacity: batch)
        itemSquares = .allocate(capacity: batch)
        gradientSums = .allocate(capacity: tiles)
        gradientSquares = .allocate(capacity: tiles)
        forward.keptPotentials = (1..<widths.count).map { potentials + offsets[$0 - 1] }
        forward.keptInput = input
    }

    deinit {
        potentials.deallocate()
        input.deallocate()
        readout.deallocate()
        above.deallocate()
        current.deallocate()
        activity.deallocate()
        listStarts.deallocate()
        listColumns.deallocate()
        listValues.deallocate()
        transposed.deallocate()
        zeros.deallocate()
        deltaPanels.deallocate()
        deltaGram.deallocate()
        inputGram.deallocate()
        scaledDeltas.deallocate()
        deltaScales.deallocate()
        spikeBits.deallocate()
        deltaColumnSums.deallocate()
        inputColumnSums.deallocate()
        rowParts.deallocate()
        tileSums.deallocate()
        tileSquares.deallocate()
        itemSums.deallocate()
        itemSquares.deallocate()
        gradientSums.deallocate()
        gradientSquares.deallocate()
    }

    /// The forward pass of network `r` (its statistics at slot `offset` of `forwardResults`), then the backward pass,
    /// layer L down to 1, writing network slot `offset` of `results`; with a `trace`, also everything it computes.
    func run(network r: Int, forward forwardResults: NetworkResults, offset: Int, into results: GradientResults,
             trace: inout GradientTrace?) {
        let depth = widths.count - 1
        forward.simulate(network: r, into: forwardResults, offset: offset * depth * steps, silentOffset: offset * depth)
        var rng = Xoshiro256StarStar(seed: configuration.simulation.seed, network: r, layer: depth + 1, block: 0)
        rng.fillNormal(readout, count: widths[depth], scale: 1)
        if trace != nil {
            let inputColumns = configuration.simulation.input.heldOverSteps ? batch : columns
            trace!.input = Array(UnsafeBufferPointer(start: input, count: widths[0] * inputColumns))
            trace!.readout = Array(UnsafeBufferPointer(start: readout, count: widths[depth]))
            trace!.potentials = (1...depth).map {
                Array(UnsafeBufferPointer(start: potentials + potentialOffsets[$0 - 1], count: widths[$0] * columns))
            }
            trace!.deltas = Array(repeating: [], count: depth)
            trace!.weightGradients = Array(repeating: [], count: depth)
        }
        for l in stride(from: depth, through: 1, by: -1) {
            if l < depth { backpropagate(throughLayer: l + 1, network: r) }
            recur(layer: l)
            let slot = offset * depth + l - 1
            deltaStatistics(layer: l, perStep: results.deltaVariances.baseAddress! + slot * steps,
                            pooled: &results.deltaVariancesPooled[slot])
            var gradient: [Float]? = trace == nil ? nil : []
            if trace != nil || routes[l - 1] == .formed { buildActivity(layer: l) }
            switch routes[l - 1] {
            case .gram:
                deltaGram(layer: l)
                inputOverlaps(layer: l)
                (results.itemGradientVariances[slot], results.batchGradientVariances[slot]) = gramVariances(layer: l)
                if trace != nil { _ = batchGradientVariance(layer: l, keep: &gradient) }
            case .formed:
                results.itemGradientVariances[slot] = itemGradientVariance(layer: l)
                results.batchGradientVariances[slot] = batchGradientVariance(layer: l, keep: &gradient)
            }
            if trace != nil {
                trace!.deltas[l - 1] = Array(UnsafeBufferPointer(start: current, count: widths[l] * columns))
                trace!.weightGradients[l - 1] = gradient!
            }
            swap(&above, &current)
        }
    }

    /// e_{l-1} = W_l^T delta_l for every column, from `above` into `current`: W_l redrawn column by column from the
    /// forward pass's streams, transposed into panels of 32 columns, each panel times every delta column by
    /// `snn_panel_product` (each output a sum over i in increasing order, every product fused with its addition).
    /// The product takes each delta column scaled by the power of two that brings its largest magnitude into [1, 2)
    /// (`snn_scale_columns`, or the copy the Gram route made), and its result is scaled back: exactly the unscaled
    /// product's bits whenever that product stays clear of subnormal numbers, and much faster when it would not
    /// (a vanishing gradient, e.g. fast_sigmoid:25 on the standard workload, leaves deltas of 1e-40 after a few
    /// dozen layers, and every fused multiply-add on them took the CPU about a hundred times longer).
    private func backpropagate(throughLayer l: Int, network r: Int) {
        let fanIn = widths[l - 1], width = widths[l]
        drawTransposedWeights(layer: l, network: r)
        let columns = self.columns, blocks = (columns + 31) / 32
        if routes[l - 1] != .gram {
            parallelFor(blocks, threads: threads) { k in
                let first = 32 * k
                snn_scale_columns(self.above + first * width, width, min(32, columns - first), width,
                                  self.scaledDeltas + first * width, self.deltaScales + first)
            }
        }
        parallelFor((fanIn + 31) / 32, threads: threads) { p in
            snn_panel_product(self.transposed + p * 32 * width, width, self.scaledDeltas, width, self.current + 32 * p,
                              fanIn, min(32, fanIn - 32 * p), columns)
        }
        parallelFor(blocks, threads: threads) { k in
            for c in 32 * k..<min(columns, 32 * k + 32) {
                let e = self.current + c * fanIn, scale = Float(self.deltaScales[c])
                for j in 0..<fanIn { e[j] *= scale }
            }
        }
    }

    /// Draws every column j of W_l (n_l weights from stream (seed, r, l, j), as the forward pass draws it) and stores
    /// it as lane j mod 32 of panel j / 32 of `transposed`; lanes past n_{l-1} are zero.
    private func drawTransposedWeights(layer l: Int, network r: Int) {
        let fanIn = widths[l - 1], width = widths[l]
        let c = configuration.simulation
        let variance = c.weightVariances[l - 1], seed = c.seed, distribution = c.weightDistribution
        parallelFor((fanIn + 31) / 32, threads: threads) { p in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 32 * width) { buffer in
                let block = buffer.baseAddress!
                let count = min(32, fanIn - 32 * p)
                for k in 0..<count {
                    var rng = Xoshiro256StarStar(seed: seed, network: r, layer: l, block: 32 * p + k)
                    switch distribution {
                    case .gaussian: rng.fillNormal(block + k * width, count: width, scale: Float(variance.squareRoot()))
                    case .uniform:
                        rng.fillUniform(block + k * width, count: width, halfWidth: Float((3 * variance).squareRoot()))
                    }
                }
                snn_transpose_panel(block, width, count, width, self.transposed + p * 32 * width)
            }
        }
    }

    /// Turns `current` from e_l (or, at the top, the readout) into delta_l, from t = T down to 1 (the equations of
    /// `Simulator.run(_: GradientConfiguration)`), and leaves per (tile, column) the sum and sum of squares of delta.
    /// Per batch item (its columns in turn, read and written whole), per tile of neurons: h for the tile's rows
    /// (`Surrogate.derivatives`), then the update eight neurons at a time (the same Float32 operations, lane by lane,
    /// as one neuron at a time), the tile's sums in Double, lane i into partial sum i mod 8, added in a fixed order.
    private func recur(layer l: Int) {
        let width = widths[l], top = l == widths.count - 1
        let offset = potentialOffsets[l - 1]
        let surrogate = self.surrogate, reset = self.reset, attached = self.attached
        let beta = leak, theta = threshold, steps = self.steps, columns = self.columns
        let tiles = (width + Simulator.rowsPerTile - 1) / Simulator.rowsPerTile
        parallelFor(batch, threads: threads) { b in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: Simulator.rowsPerTile) { buffer in
                let h = buffer.baseAddress!
                for t in stride(from: steps - 1, through: 0, by: -1) {
                    for tile in 0..<tiles {
                        let first = tile * Simulator.rowsPerTile
                        let count = min(width, first + Simulator.rowsPerTile) - first
                        let c = b * steps + t
                        let u = UnsafePointer(self.potentials + offset + c * width + first)
                        let x = self.current + c * width + first
                        let e = top ? UnsafePointer(self.readout + first) : UnsafePointer(x)
                        let next = t + 1 < steps ? UnsafePointer(x + width) : UnsafePointer(self.zeros)
                        surrogate.derivatives(of: u, threshold: theta, into: h, count: count)
                        let sums: (Double, Double)
                        switch (reset, attached) {
                        case (.subtract, false):
                            sums = Self.update(count, h, e, next, u, x, beta, theta) { h, e, next, _, beta, _ in
                                h * e + beta * next
                            }
                        case (.subtract, true):
                            sums = Self.update(count, h, e, next, u, x, beta, theta) { h, e, next, _, beta, theta in
                                h * (e - theta * next) + beta * next
                            }
                        case (.zero, false):
                            sums = Self.update(count, h, e, next, u, x, beta, theta) { h, e, next, u, beta, theta in
                                let kept = beta * (1 - SIMD8<Float>(repeating: 0).replacing(with: 1, where: u .> theta))
                                return h * e + kept * next
                            }
                        case (.zero, true):
                            sums = Self.update(count, h, e, next, u, x, beta, theta) { h, e, next, u, beta, theta in
                                let kept = beta * (1 - SIMD8<Float>(repeating: 0).replacing(with: 1, where: u .> theta))
                                return h * (e - (beta * u) * next) + kept * next
                            }
                        }
                        self.tileSums[tile * columns + c] = sums.0
                        self.tileSquares[tile * columns + c] = sums.1
                    }
                }
            }
        }
    }

    /// delta = rule(h, e, delta[t+1], u, beta, theta) for `count` neurons, eight at a time (a last partial group padded
    /// with zeros, which are neither stored nor summed), into `out`; returns the sum and sum of squares of delta in
    /// Double, lane k of each group into partial sum k, the eight partial sums then added in lane order.
    @inline(__always)
    private static func update(
        _ count: Int, _ h: UnsafePointer<Float>, _ e: UnsafePointer<Float>, _ next: UnsafePointer<Float>,
        _ u: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ beta: Float, _ theta: Float,
        _ rule: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) -> SIMD8<Float>
    ) -> (Double, Double) {
        let beta = SIMD8<Float>(repeating: beta), theta = SIMD8<Float>(repeating: theta)
        @inline(__always) func load(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> {
            UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
        }
        var sums = SIMD8<Double>(), squares = SIMD8<Double>()
        var i = 0
        while i + 8 <= count {
            let delta = rule(load(h, i), load(e, i), load(next, i), load(u, i), beta, theta)
            UnsafeMutableRawPointer(out + i).storeBytes(of: delta, as: SIMD8<Float>.self)
            let wide = SIMD8<Double>(delta)
            sums += wide
            squares += wide * wide
            i += 8
        }
        if i < count {
            var hs = SIMD8<Float>(), es = hs, ns = hs, us = hs
            for k in 0..<count - i {
                hs[k] = h[i + k]
                es[k] = e[i + k]
                ns[k] = next[i + k]
                us[k] = u[i + k]
            }
            let delta = rule(hs, es, ns, us, beta, theta)
            for k in 0..<count - i {
                out[i + k] = delta[k]
                let d = Double(delta[k])
                sums[k] += d
                squares[k] += d * d
            }
        }
        return (sums.sum(), squares.sum())
    }

    /// Var[delta_l[t]] over the n_l B entries of each step (unbiased; 0 when n_l B = 1) into `perStep[t]`, and over all
    /// n_l B T entries into `pooled`, from the partial sums merged in the order step, batch item, tile.
    private func deltaStatistics(layer l: Int, perStep: UnsafeMutablePointer<Double>, pooled: inout Double) {
        let tiles = (widths[l] + Simulator.rowsPerTile - 1) / Simulator.rowsPerTile
        let m = Double(widths[l] * batch)
        var totalSum = 0.0, totalSquares = 0.0
        for t in 0..<steps {
            var sum = 0.0, squares = 0.0
            for b in 0..<batch {
                for tile in 0..<tiles {
                    sum += tileSums[tile * columns + b * steps + t]
                    squares += tileSquares[tile * columns + b * steps + t]
                }
            }
            perStep[t] = Self.unbiasedVariance(sum: sum, squares: squares, count: m)
            totalSum += sum
            totalSquares += squares
        }
        pooled = Self.unbiasedVariance(sum: totalSum, squares: totalSquares, count: m * Double(steps))
    }

    /// (sum x^2 - (sum x)^2 / m) / (m - 1), clamped at 0; 0 when m <= 1.
    static func unbiasedVariance(sum: Double, squares: Double, count m: Double) -> Double {
        m > 1 ? max(0, squares - sum * sum / m) / (m - 1) : 0
    }

}

extension InputEncoding {
    /// Whether the input is one analog vector per batch item held over the steps (stored as B columns, not B T).
    var heldOverSteps: Bool {
        if case .gaussian = self { return true }
        return false
    }
}
