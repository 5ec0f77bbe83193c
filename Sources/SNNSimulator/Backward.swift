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
    /// networks. All potentials are kept from the forward pass (`GradientConfiguration.estimatedBytes`); weights are
    /// redrawn from their streams.
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
        let c = configuration.simulation
        precondition(r >= 0 && r < c.networks)
        let results = NetworkResults(networks: 1, layers: c.architecture.depth, steps: c.steps)
        let gradients = GradientResults(networks: 1, layers: c.architecture.depth, steps: c.steps)
        let workspace = BackwardWorkspace(configuration: configuration)
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

    /// u_l for every layer (kept by the forward pass) and the input.
    let potentials: UnsafeMutablePointer<Float>
    let potentialOffsets: [Int]
    let input: UnsafeMutablePointer<Float>
    /// g.
    let readout: UnsafeMutablePointer<Float>
    /// delta_{l+1} (`above`) and e_l, turned into delta_l in place (`current`).
    var above: UnsafeMutablePointer<Float>
    var current: UnsafeMutablePointer<Float>
    /// s_{l-1} (or the analog input) as n_{l-1} x B T values; per input j, the columns where it is nonzero
    /// (`listStarts[j]..<listStarts[j + 1]` in `listColumns`) and the values there.
    let activity: UnsafeMutablePointer<Float>
    let listStarts: UnsafeMutablePointer<Int>
    let listColumns: UnsafeMutablePointer<UInt32>
    let listValues: UnsafeMutablePointer<Float>
    /// W_l^T in panels of 32 columns j: panel p holds n_l entries of 32 floats, entry i = w_{i, 32p...32p+31}
    /// (zeros past n_{l-1}): the layout of the forward pass's dense kernel, with W^T in place of W.
    let transposed: UnsafeMutablePointer<Float>
    let zeros: UnsafeMutablePointer<Float>
    /// Per (tile, column): sum and sum of squares of delta; per batch item: sum and sum of squares of the entries of
    /// its weight gradient; per tile: the same for the batch-summed gradient.
    let tileSums: UnsafeMutablePointer<Double>
    let tileSquares: UnsafeMutablePointer<Double>
    let itemSums: UnsafeMutablePointer<Double>
    let itemSquares: UnsafeMutablePointer<Double>
    let gradientSums: UnsafeMutablePointer<Double>
    let gradientSquares: UnsafeMutablePointer<Double>

    init(configuration g: GradientConfiguration) {
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
        let maxLayerWidth = widths.dropFirst().max()!, maxFanIn = widths.dropLast().max()!
        var offsets = [0]
        for l in 1..<widths.count { offsets.append(offsets[l - 1] + widths[l] * columns) }
        potentialOffsets = offsets
        potentials = .allocate(capacity: offsets.last!)
        input = .allocate(capacity: widths[0] * columns)
        readout = .allocate(capacity: widths.last!)
        above = .allocate(capacity: maxLayerWidth * columns)
        current = .allocate(capacity: maxLayerWidth * columns)
        activity = .allocate(capacity: maxFanIn * columns)
        listStarts = .allocate(capacity: maxFanIn + 1)
        listColumns = .allocate(capacity: maxFanIn * columns)
        listValues = .allocate(capacity: maxFanIn * columns)
        let maxTransposed = (2..<max(2, widths.count)).map { Simulator.paddedWidth(widths[$0 - 1]) * widths[$0] }.max() ?? 0
        transposed = UnsafeMutableRawPointer.allocate(byteCount: 4 * max(1, maxTransposed), alignment: 64)
            .bindMemory(to: Float.self, capacity: max(1, maxTransposed))
        zeros = .allocate(capacity: maxLayerWidth)
        zeros.initialize(repeating: 0, count: maxLayerWidth)
        let tiles = (maxLayerWidth + Simulator.rowsPerTile - 1) / Simulator.rowsPerTile
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
            buildActivity(layer: l)
            results.itemGradientVariances[slot] = itemGradientVariance(layer: l)
            var gradient: [Float]? = trace == nil ? nil : []
            results.batchGradientVariances[slot] = batchGradientVariance(layer: l, keep: &gradient)
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
    private func backpropagate(throughLayer l: Int, network r: Int) {
        let fanIn = widths[l - 1], width = widths[l]
        drawTransposedWeights(layer: l, network: r)
        let columns = self.columns
        parallelFor((fanIn + 31) / 32, threads: threads) { p in
            snn_panel_product(self.transposed + p * 32 * width, width, self.above, width, self.current + 32 * p, fanIn,
                              min(32, fanIn - 32 * p), columns)
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
                let panel = self.transposed + p * 32 * width
                for i in 0..<width {
                    let entry = panel + 32 * i
                    for k in 0..<count { entry[k] = block[k * width + i] }
                    for k in count..<32 { entry[k] = 0 }
                }
            }
        }
    }

    /// Turns `current` from e_l (or, at the top, the readout) into delta_l, from t = T down to 1 (the equations of
    /// `Simulator.run(_: GradientConfiguration)`), and leaves per (tile, column) the sum and sum of squares of delta.
    private func recur(layer l: Int) {
        let width = widths[l], top = l == widths.count - 1
        let offset = potentialOffsets[l - 1]
        let surrogate = self.surrogate, reset = self.reset, attached = self.attached
        let beta = leak, theta = threshold, steps = self.steps, columns = self.columns, batch = self.batch
        let tiles = (width + Simulator.rowsPerTile - 1) / Simulator.rowsPerTile
        parallelFor(tiles, threads: threads) { tile in
            let u = UnsafePointer(self.potentials + offset), x = self.current, g = UnsafePointer(self.readout)
            let rows = tile * Simulator.rowsPerTile..<min(width, (tile + 1) * Simulator.rowsPerTile)
            for b in 0..<batch {
                for t in stride(from: steps - 1, through: 0, by: -1) {
                    let c = b * steps + t
                    var sum = 0.0, squares = 0.0
                    for i in rows {
                        let potential = u[c * width + i]
                        let e = top ? g[i] : x[c * width + i]
                        let next: Float = t + 1 < steps ? x[(c + 1) * width + i] : 0
                        let h = surrogate.derivative(potential - theta)
                        let delta: Float
                        switch reset {
                        case .subtract:
                            delta = h * (attached ? e - theta * next : e) + beta * next
                        case .zero:
                            let kept = beta * (1 - (potential > theta ? 1 : 0))
                            delta = h * (attached ? e - (beta * potential) * next : e) + kept * next
                        }
                        x[c * width + i] = delta
                        sum += Double(delta)
                        squares += Double(delta) * Double(delta)
                    }
                    self.tileSums[tile * columns + c] = sum
                    self.tileSquares[tile * columns + c] = squares
                }
            }
        }
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

    /// The input of layer l as n_{l-1} x B T values (the spikes s_{l-1} = [u_{l-1} > theta], or the input, an analog
    /// one repeated over the steps), and per input j the increasing list of columns where it is nonzero: counted, then
    /// filled, each in blocks of 64 inputs in parallel.
    private func buildActivity(layer l: Int) {
        let fanIn = widths[l - 1], columns = self.columns, steps = self.steps, theta = threshold
        let analog = configuration.simulation.input.heldOverSteps
        let offset = l == 1 ? 0 : potentialOffsets[l - 2]
        let block = 64, blocks = (fanIn + block - 1) / block
        parallelFor((columns + 63) / 64, threads: threads) { item in
            for c in item * 64..<min(columns, (item + 1) * 64) {
                let a = self.activity + c * fanIn
                if l == 1 {
                    a.update(from: self.input + (analog ? c / steps : c) * fanIn, count: fanIn)
                    continue
                }
                let u = UnsafeRawPointer(self.potentials + offset + c * fanIn)
                var j = 0
                while j + 4 <= fanIn {
                    let v = u.loadUnaligned(fromByteOffset: 4 * j, as: SIMD4<Float>.self)
                    UnsafeMutableRawPointer(a + j).storeBytes(
                        of: SIMD4<Float>(repeating: 0).replacing(with: 1, where: v .> theta), as: SIMD4<Float>.self)
                    j += 4
                }
                while j < fanIn {
                    a[j] = u.load(fromByteOffset: 4 * j, as: Float.self) > theta ? 1 : 0
                    j += 1
                }
            }
        }
        /// Bit m set where input first + m is nonzero in column c, for a block of up to 64 inputs.
        @Sendable @inline(__always) func nonzero(_ c: Int, _ inputs: Range<Int>) -> UInt64 {
            let a = self.activity + c * fanIn
            var mask: UInt64 = 0
            for j in inputs { mask |= UInt64(a[j] != 0 ? 1 : 0) << UInt64(j - inputs.lowerBound) }
            return mask
        }
        listStarts[0] = 0
        parallelFor(blocks, threads: threads) { k in
            let inputs = k * block..<min(fanIn, (k + 1) * block)
            let counts = self.listStarts + 1
            for j in inputs { counts[j] = 0 }
            for c in 0..<columns {
                var mask = nonzero(c, inputs)
                while mask != 0 {
                    counts[inputs.lowerBound + mask.trailingZeroBitCount] += 1
                    mask &= mask - 1
                }
            }
        }
        for j in 0..<fanIn { listStarts[j + 1] += listStarts[j] }
        parallelFor(blocks, threads: threads) { k in
            let inputs = k * block..<min(fanIn, (k + 1) * block)
            withUnsafeTemporaryAllocation(of: Int.self, capacity: block) { fill in
                for j in inputs { fill[j - inputs.lowerBound] = self.listStarts[j] }
                for c in 0..<columns {
                    let a = self.activity + c * fanIn
                    var mask = nonzero(c, inputs)
                    while mask != 0 {
                        let m = mask.trailingZeroBitCount
                        let slot = fill[m]
                        self.listColumns[slot] = UInt32(c)
                        self.listValues[slot] = a[inputs.lowerBound + m]
                        fill[m] = slot + 1
                        mask &= mask - 1
                    }
                }
            }
        }
    }

    /// The unbiased variance of the n_l n_{l-1} B entries of the per-item gradients G^b = sum_t delta_l[b, t]
    /// a[b, t]^T (a the layer's input), without forming them: sum_ij (G^b_ij)^2 = sum_{t, t'} D^b(t, t') A^b(t, t')
    /// with D^b(t, t') = delta[b, t] . delta[b, t'] and A^b(t, t') = a[b, t] . a[b, t'], and sum_ij G^b_ij =
    /// sum_t (sum_i delta_i[b, t]) (sum_j a_j[b, t]), in Double from the Float32 values (exact products): B T^2
    /// (n_l + n_{l-1}) / 2 multiply-adds.
    private func itemGradientVariance(layer l: Int) -> Double {
        let width = widths[l], fanIn = widths[l - 1], steps = self.steps
        /// x . y in Double, in eight interleaved partial sums (element i into sum i mod 8), added in a fixed order.
        @Sendable @inline(__always) func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Double {
            var s0 = SIMD4<Double>(), s1 = SIMD4<Double>()
            var i = 0
            while i + 8 <= n {
                let x0 = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
                let y0 = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
                s0 += SIMD4<Double>(x0.lowHalf) * SIMD4<Double>(y0.lowHalf)
                s1 += SIMD4<Double>(x0.highHalf) * SIMD4<Double>(y0.highHalf)
                i += 8
            }
            var tail = 0.0
            while i < n {
                tail += Double(x[i]) * Double(y[i])
                i += 1
            }
            return (s0 + s1).sum() + tail
        }
        /// For spikes, x . y in Float32: counts, exact below 2^24.
        @Sendable @inline(__always) func count(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Double {
            var s = SIMD8<Float>()
            var i = 0
            while i + 8 <= n {
                s += UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
                    * UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
                i += 8
            }
            var tail: Float = 0
            while i < n {
                tail += x[i] * y[i]
                i += 1
            }
            return Double(s.sum() + tail)
        }
        let binary = !(l == 1 && configuration.simulation.input.heldOverSteps)
        parallelFor(batch, threads: threads) { b in
            let delta = UnsafePointer(self.current), a = UnsafePointer(self.activity)
            var sum = 0.0, squares = 0.0
            for t in 0..<steps {
                let c = b * steps + t
                var deltaSum = 0.0, activitySum = 0.0
                for i in 0..<width { deltaSum += Double(delta[c * width + i]) }
                for j in 0..<fanIn { activitySum += Double(a[c * fanIn + j]) }
                sum += deltaSum * activitySum
                for t2 in t..<steps {
                    let c2 = b * steps + t2
                    let overlap = binary ? count(a + c * fanIn, a + c2 * fanIn, fanIn) : dot(a + c * fanIn, a + c2 * fanIn, fanIn)
                    let product = dot(delta + c * width, delta + c2 * width, width) * overlap
                    squares += t2 == t ? product : 2 * product
                }
            }
            self.itemSums[b] = sum
            self.itemSquares[b] = squares
        }
        var sum = 0.0, squares = 0.0
        for b in 0..<batch {
            sum += itemSums[b]
            squares += itemSquares[b]
        }
        return Self.unbiasedVariance(sum: sum, squares: squares, count: Double(width * fanIn * batch))
    }

    /// The unbiased variance of the n_l n_{l-1} entries of G = sum_c delta_l[c] a[c]^T, the gradient summed over the
    /// batch: each G_ij a Float32 sum over the columns c where input j is nonzero, in increasing c (for spikes, a = 1,
    /// a plain sum of deltas), then its sum and sum of squares in Double, per tile of neurons in eight buckets
    /// (`snn_list_sums`), merged in bucket, then tile order.
    /// With `keep`, G row-major.
    private func batchGradientVariance(layer l: Int, keep: inout [Float]?) -> Double {
        let width = widths[l], fanIn = widths[l - 1]
        let tiles = (width + Simulator.rowsPerTile - 1) / Simulator.rowsPerTile
        if keep != nil {
            var kept = [Float](repeating: 0, count: width * fanIn)
            kept.withUnsafeMutableBufferPointer { gradientTiles(layer: l, store: $0.baseAddress) }
            keep = kept
        } else {
            gradientTiles(layer: l, store: nil)
        }
        var sum = 0.0, squares = 0.0
        for tile in 0..<tiles {
            sum += gradientSums[tile]
            squares += gradientSquares[tile]
        }
        return Self.unbiasedVariance(sum: sum, squares: squares, count: Double(width * fanIn))
    }

    /// Per tile of neurons, the sum and sum of squares of its rows of G (`batchGradientVariance`), by `snn_list_sums`.
    private func gradientTiles(layer l: Int, store: UnsafeMutablePointer<Float>?) {
        let width = widths[l], fanIn = widths[l - 1]
        let binary = !(l == 1 && configuration.simulation.input.heldOverSteps)
        let tiles = (width + Simulator.rowsPerTile - 1) / Simulator.rowsPerTile
        nonisolated(unsafe) let store = store
        parallelFor(tiles, threads: threads) { tile in
            let first = tile * Simulator.rowsPerTile, rows = min(width, first + Simulator.rowsPerTile) - first
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 16) { buckets in
                buckets.initialize(repeating: 0)
                let sums = buckets.baseAddress!, squares = sums + 8
                snn_list_sums(self.current + first, width, rows, self.listStarts, self.listColumns,
                              binary ? nil : self.listValues, fanIn, sums, squares, store.map { $0 + first * fanIn },
                              fanIn)
                self.gradientSums[tile] = (0..<8).reduce(0) { $0 + sums[$1] }
                self.gradientSquares[tile] = (0..<8).reduce(0) { $0 + squares[$1] }
            }
        }
    }
}

extension InputEncoding {
    /// Whether the input is one analog vector per batch item held over the steps (stored as B columns, not B T).
    var heldOverSteps: Bool {
        if case .gaussian = self { return true }
        return false
    }
}
