import CKernels
import SNNModel

/// The buffers of one network in flight, sized for the largest layer and reused layer after layer and network
/// after network (`SimulationConfiguration.estimatedBytes` counts them). Matrices are column-major Float32;
/// column c = b T + t holds batch item b at step t.
///
/// `@unchecked Sendable`: the parallel pieces of one phase write disjoint regions (their own columns of W_l, their
/// own columns of the input lists, their own rows and (tile, column) slots) and read only what earlier, finished
/// phases wrote.
final class NetworkWorkspace: @unchecked Sendable {
    let configuration: SimulationConfiguration
    let lif: LIFUpdate
    let threads: Int
    let widths: [Int]
    let steps: Int, batch: Int, columns: Int
    let forcedRoute: CurrentRoute?

    /// W_l in panels of 32 neurons: panel p holds rows 32p..<32p+32 as entries of 32 floats, n_{l-1} of them with
    /// entry j = w_{32p..., j} (sparse route) or k of them with entry m = w_{32p..., activeIndices[m]} (dense route),
    /// so the weights a block of 32 neurons needs are contiguous.
    let weights: UnsafeMutablePointer<Float>
    var spikesIn: UnsafeMutablePointer<Float>
    var spikesOut: UnsafeMutablePointer<Float>
    let currents: UnsafeMutablePointer<Float>
    /// Either the dense route's flags (two k x columns Float32 matrices, `buildInputFlags`), or, for the sparse
    /// accumulation, two lists per column (UInt32, fanIn + 4 slots each): the final list, and the inputs that
    /// switched off before they are appended to it.
    let scratch: UnsafeMutableRawPointer
    let listLengths: UnsafeMutablePointer<Int>
    /// Per column: how many of its list's entries are added (the rest are subtracted), and whether its currents
    /// update the previous step's (true) or sum from zero (false); the dense route sets the second alike.
    let listAdditions: UnsafeMutablePointer<Int>
    let listIncremental: UnsafeMutablePointer<Bool>
    /// u[t] of the neurons, carried from step to step for the batch item being scanned.
    let potentials: UnsafeMutablePointer<Float>
    /// Zeros: s[0] = 0 for every neuron, and the dense route's flags for a column that subtracts nothing.
    let noSpikes: UnsafeMutablePointer<Float>
    /// Per neuron of the layer just simulated (out) or of its input (in): its spikes over all steps and batch items,
    /// counted in Float32 (exact to 2^24; only "nonzero" matters).
    var spikeCountIn: UnsafeMutablePointer<Float>
    var spikeCountOut: UnsafeMutablePointer<Float>
    /// Indices of the active inputs of the current layer.
    let activeIndices: UnsafeMutablePointer<Int>
    /// Per worker, the block of weight columns it draws before copying them into panels (`weightColumnsPerItem`
    /// columns of max_l n_l): allocated once, so no draw frees a temporary (a 128 KB temporary per item made the C
    /// library hand its pages back to the system, about 1,100 `madvise` calls per standard workload).
    let drawBlocks: UnsafeMutablePointer<Float>
    let drawBlockSize: Int
    /// Per (tile, column): sum of u, sum of u^2, spike count.
    let tileSums: UnsafeMutablePointer<Double>
    let tileSquares: UnsafeMutablePointer<Double>
    let tileSpikes: UnsafeMutablePointer<Int>
    /// Set by the backward pass, which needs the whole forward pass: `keptPotentials[l - 1]` receives u_l of every
    /// neuron and column (n_l x B T, column-major; zeros after a silent layer), and `keptInput` the input columns as
    /// drawn (n_0 x B T spikes, or n_0 x B analog values). Empty and nil otherwise: the scan only stores what it computes.
    var keptPotentials: [UnsafeMutablePointer<Float>] = []
    var keptInput: UnsafeMutablePointer<Float>?

    /// `forcedRoute`: compute every layer's currents by this route (see `simulateLayer`) instead of the faster one for
    /// the data; for tests, since both give the same bits.
    init(configuration c: SimulationConfiguration, forcedRoute: CurrentRoute? = nil) {
        configuration = c
        self.forcedRoute = forcedRoute
        lif = LIFUpdate(c.neuron)
        threads = c.threadsPerNetwork
        widths = c.architecture.widths
        steps = c.steps
        batch = c.batch
        columns = c.batch * c.steps
        let widths = c.architecture.widths
        let maxWidth = widths.max()!, maxLayerWidth = widths.dropFirst().max()!, maxFanIn = widths.dropLast().max()!
        let maxWeights = (1..<widths.count).map { Simulator.paddedWidth(widths[$0]) * widths[$0 - 1] }.max()!
        let tiles = (maxLayerWidth + Simulator.rowsPerTile - 1) / Simulator.rowsPerTile
        let columns = c.batch * c.steps
        weights = UnsafeMutableRawPointer.allocate(byteCount: 4 * maxWeights, alignment: 64)
            .bindMemory(to: Float.self, capacity: maxWeights)
        spikesIn = .allocate(capacity: maxWidth * columns)
        spikesOut = .allocate(capacity: maxWidth * columns)
        currents = .allocate(capacity: maxLayerWidth * columns)
        scratch = .allocate(byteCount: 8 * (maxFanIn + 4) * columns, alignment: 16)
        listLengths = .allocate(capacity: columns)
        listAdditions = .allocate(capacity: columns)
        listIncremental = .allocate(capacity: columns)
        potentials = .allocate(capacity: maxWidth)
        noSpikes = .allocate(capacity: maxWidth)
        noSpikes.initialize(repeating: 0, count: maxWidth)
        spikeCountIn = .allocate(capacity: maxWidth)
        spikeCountOut = .allocate(capacity: maxWidth)
        activeIndices = .allocate(capacity: maxWidth)
        drawBlockSize = Simulator.weightColumnsPerItem * maxLayerWidth
        drawBlocks = .allocate(capacity: threads * drawBlockSize)
        tileSums = .allocate(capacity: tiles * columns)
        tileSquares = .allocate(capacity: tiles * columns)
        tileSpikes = .allocate(capacity: tiles * columns)
    }

    deinit {
        weights.deallocate()
        spikesIn.deallocate()
        spikesOut.deallocate()
        currents.deallocate()
        scratch.deallocate()
        listLengths.deallocate()
        listAdditions.deallocate()
        listIncremental.deallocate()
        potentials.deallocate()
        noSpikes.deallocate()
        spikeCountIn.deallocate()
        spikeCountOut.deallocate()
        activeIndices.deallocate()
        drawBlocks.deallocate()
        tileSums.deallocate()
        tileSquares.deallocate()
        tileSpikes.deallocate()
    }

    /// Simulates network `r` and writes its per-layer, per-step values at `offset + (l - 1) T + (t - 1)`
    /// and its silent flags at `silentOffset + l - 1`.
    func simulate(network r: Int, into results: NetworkResults, offset: Int, silentOffset: Int) {
        var input = drawInput(network: r)
        keptInput?.update(from: spikesIn, count: widths[0] * input.columns)
        for l in 1..<widths.count {
            let base = offset + (l - 1) * steps
            if input.spikes == 0 {
                if !keptPotentials.isEmpty { keptPotentials[l - 1].initialize(repeating: 0, count: widths[l] * columns) }
                for t in 0..<steps {
                    results.means[base + t] = 0
                    results.variances[base + t] = 0
                    results.rates[base + t] = 0
                }
                results.silent[silentOffset + l - 1] = true
                continue
            }
            let spikes = simulateLayer(l, network: r, input: input, results: results, base: base)
            results.silent[silentOffset + l - 1] = spikes == 0
            swap(&spikesIn, &spikesOut)
            swap(&spikeCountIn, &spikeCountOut)
            input = LayerInput(columns: columns, binary: true, spikes: spikes)
        }
    }

    /// What a layer receives: `columns` input columns (B T, or B for an analog input held over the steps),
    /// whether they are spikes (0 or 1), and how many entries are nonzero (for spikes: the spike count).
    struct LayerInput {
        let columns: Int
        let binary: Bool
        let spikes: Int
    }

    /// Draws the network's input into `spikesIn` and marks the inputs that are ever nonzero in `spikeCountIn`.
    /// Bernoulli(p) spikes: batch item b from stream (seed, r, 0, b), steps in order, inputs in order.
    /// Gaussian(S) currents: one N(0, S^2) vector per batch item from stream (seed, r, 0, b), held over the steps,
    /// so only B columns are stored (and the first layer's product spans B columns, not B T).
    private func drawInput(network r: Int) -> LayerInput {
        let n0 = widths[0]
        let seed = configuration.seed
        switch configuration.input {
        case let .bernoulli(rate):
            let threshold = Xoshiro256StarStar.bernoulliThreshold(probability: rate)
            spikeCountIn.initialize(repeating: 0, count: n0)
            var count = 0
            for b in 0..<batch {
                var rng = Xoshiro256StarStar(seed: seed, network: r, layer: 0, block: b)
                for t in 0..<steps {
                    let column = spikesIn + (b * steps + t) * n0
                    for i in 0..<n0 {
                        let spike: Float = rng.nextBernoulli(threshold53: threshold) ? 1 : 0
                        column[i] = spike
                        spikeCountIn[i] += spike
                        count += Int(spike)
                    }
                }
            }
            return LayerInput(columns: columns, binary: true, spikes: count)
        case let .gaussian(std):
            for b in 0..<batch {
                var rng = Xoshiro256StarStar(seed: seed, network: r, layer: 0, block: b)
                rng.fillNormal(spikesIn + b * n0, count: n0, scale: Float(std))
            }
            spikeCountIn.initialize(repeating: 1, count: n0)
            return LayerInput(columns: batch, binary: false, spikes: n0 * batch)
        }
    }

    /// Simulates layer l from `spikesIn` into `spikesOut`, writes its per-step values, and returns its spike count.
    ///
    /// The currents I = W_l S follow one definition, in Float32, whatever the route, the CPU or the thread count:
    /// for each neuron, column c's current is either a sum from zero of the weights w_{ij} of the inputs j that
    /// spiked, in increasing j, or, for t > 1 when fewer inputs changed than are on, the previous step's current plus
    /// w_{ij} for the inputs that switched on, then minus w_{ij} for those that switched off, each in increasing j.
    /// (Spikes persist from step to step, so the second form is often half the work; its rounding accumulates over
    /// the steps like any running sum, a few units in the last place.) An analog input's current is the sum over j
    /// in increasing order of the rounded products w_{ij} x_j, from zero. Two routes compute it, with bit-identical
    /// results (adding w x 0 = +-0 leaves a Float32 sum unchanged, a sum from +0 is never -0, and w x 1 = w exactly):
    /// - sparse, for spike inputs: the weights of the listed inputs are added (`accumulate`);
    /// - dense, for an analog input: every input's weight times its value is added (`accumulateDense`).
    /// No BLAS is involved, whose kernels round differently from one CPU to the next. The dense route also takes spike
    /// inputs (0/1 flags); measured at input rates 0.5-1.0 and T = 1 (no incremental saving) it took twice the lists'
    /// time, which do at most the same number of additions, each with one load instead of a load and a product, so
    /// spikes always go by the lists; the dense route for spikes is the second implementation the tests hold the
    /// lists to, and a faster dense kernel may earn it a share of the layers.
    /// `forcedRoute == .dense` sends spike inputs by the dense route too (tests compare the routes).
    private func simulateLayer(_ l: Int, network r: Int, input: LayerInput, results: NetworkResults, base: Int) -> Int {
        let fanIn = widths[l - 1], width = widths[l]
        var k = 0
        for j in 0..<fanIn where spikeCountIn[j] != 0 {
            activeIndices[k] = j
            k += 1
        }
        let active = k
        let sparse = input.binary && forcedRoute != .dense
        if sparse {
            buildInputLists(fanIn: fanIn)
        } else if input.binary {
            buildInputFlags(fanIn: fanIn, active: active)
        }
        drawWeights(layer: l, network: r, width: width, fanIn: fanIn, active: active, compacted: !sparse)
        let tiles = (width + Simulator.rowsPerTile - 1) / Simulator.rowsPerTile
        let inputColumns = input.columns
        nonisolated(unsafe) let kept = keptPotentials.isEmpty ? nil : keptPotentials[l - 1]
        parallelFor(tiles, threads: threads) { tile in
            let rows = tile * Simulator.rowsPerTile..<min(width, (tile + 1) * Simulator.rowsPerTile)
            if sparse {
                accumulate(rows: rows, width: width, fanIn: fanIn)
            } else {
                accumulateDense(rows: rows, width: width, active: active, binary: input.binary)
            }
            scan(tile: tile, rows: rows, width: width, currentsPerBatchItem: inputColumns == columns ? steps : 1,
                 currentsPerStep: inputColumns == columns ? 1 : 0, kept: kept)
        }
        return mergeStatistics(tiles: tiles, width: width, results: results, base: base)
    }

    /// The two ways of computing a layer's currents (see `simulateLayer`); they give the same bits.
    enum CurrentRoute {
        case sparse, dense
    }

    /// The dense route's inputs, per column c of the B T spike columns, over the k active inputs (scratch, Float32):
    /// the flags to add (k x columns) and, after them, the flags to subtract (k x columns; written for incremental
    /// columns only), with
    /// `listIncremental[c]` set as `buildInputLists` would set it: for t > 1, when the inputs that switched on or off
    /// are fewer than those on, add the inputs that switched on and subtract those that switched off (starting from
    /// the previous step's currents), else add the inputs that are on (from zero) and subtract none.
    private func buildInputFlags(fanIn: Int, active k: Int) {
        let chunk = 64
        parallelFor((columns + chunk - 1) / chunk, threads: threads) { item in
            let additions = scratch.assumingMemoryBound(to: Float.self)
            let subtractions = additions + k * columns
            for c in item * chunk..<min(columns, (item + 1) * chunk) {
                let now = spikesIn + c * fanIn
                let add = additions + c * k, subtract = subtractions + c * k
                var incremental = false
                if c % steps != 0 {
                    let before = now - fanIn
                    var spiking = 0, changed = 0
                    for m in 0..<k {
                        let j = activeIndices[m]
                        spiking += now[j] != 0 ? 1 : 0
                        changed += (now[j] != 0) != (before[j] != 0) ? 1 : 0
                    }
                    incremental = changed < spiking
                    if incremental {
                        for m in 0..<k {
                            let j = activeIndices[m]
                            add[m] = now[j] * (1 - before[j])
                            subtract[m] = before[j] * (1 - now[j])
                        }
                    }
                }
                if !incremental {
                    for m in 0..<k { add[m] = now[activeIndices[m]] }
                }
                listIncremental[c] = incremental
            }
        }
    }

    /// The list of each column c = b T + t (scratch; `listLengths[c]`, `listAdditions[c]`, `listIncremental[c]`):
    /// the inputs j that spiked, increasing, all added; or, for t > 1 when fewer inputs changed than are on, the
    /// inputs that switched on (added) followed by those that switched off (subtracted), each increasing.
    private func buildInputLists(fanIn: Int) {
        let chunk = 64
        let stride = fanIn + 4
        parallelFor((columns + chunk - 1) / chunk, threads: threads) { item in
            let lists = scratch.assumingMemoryBound(to: UInt32.self)
            for c in item * chunk..<min(columns, (item + 1) * chunk) {
                let now = spikesIn + c * fanIn
                let list = lists + 2 * c * stride, switchedOff = list + stride
                var incremental = false
                if c % steps != 0 {
                    var on = 0, off = 0
                    let spikes = snn_list_changes(now, now - fanIn, fanIn, list, switchedOff, &on, &off)
                    if on + off < spikes {
                        (list + on).update(from: switchedOff, count: off)
                        listLengths[c] = on + off
                        listAdditions[c] = on
                        incremental = true
                    }
                }
                if !incremental {
                    let n = snn_list_spikes(now, fanIn, list)
                    listLengths[c] = n
                    listAdditions[c] = n
                }
                listIncremental[c] = incremental
            }
        }
    }

    /// Draws the weights from input j = activeIndices[m] to the n_l neurons from stream (seed, r, l, j):
    /// N(0, v) or Uniform(+-sqrt(3 v)) with v = Var[w_l], and stores them in panels of 32 neurons (copied panel by
    /// panel from a block of drawn columns): as entry j of each panel for the sparse route, whose lists name inputs
    /// by j, or as entry m (`compacted`, panels of k entries) for the dense route, which walks the active inputs.
    private func drawWeights(layer l: Int, network r: Int, width: Int, fanIn: Int, active k: Int, compacted: Bool) {
        let variance = configuration.weightVariances[l - 1]
        let seed = configuration.seed
        let distribution = configuration.weightDistribution
        let perItem = Simulator.weightColumnsPerItem
        let items = (k + perItem - 1) / perItem
        let entries = compacted ? k : fanIn
        parallelFor(items, threads: threads) { worker, item in
            let buffer = drawBlocks + worker * drawBlockSize
            let block = item * perItem..<min(k, (item + 1) * perItem)
            for m in block {
                var rng = Xoshiro256StarStar(seed: seed, network: r, layer: l, block: activeIndices[m])
                let column = buffer + (m - block.lowerBound) * width
                switch distribution {
                case .gaussian: rng.fillNormal(column, count: width, scale: Float(variance.squareRoot()))
                case .uniform: rng.fillUniform(column, count: width, halfWidth: Float((3 * variance).squareRoot()))
                }
            }
            for panel in 0..<(width + 31) / 32 {
                let rows = min(32, width - 32 * panel)
                for m in block {
                    (weights + panel * 32 * entries + 32 * (compacted ? m : activeIndices[m]))
                        .update(from: buffer + (m - block.lowerBound) * width + 32 * panel, count: rows)
                }
            }
        }
    }

    /// The dense route for the neurons `rows`: currents[rows, c] = (the previous column's currents, when
    /// `listIncremental[c]`, else 0) plus w_m a_m over the k active inputs m in increasing order, then minus w_m s_m
    /// likewise, with a and s the column's flags from `buildInputFlags` (spike inputs; multiplying by a 0/1 flag is
    /// exact) or a = the analog input itself and no subtraction (B columns, from `spikesIn`). Products and sums are
    /// rounded separately (no fused multiply-add), so the result does not depend on the instruction set.
    /// A full panel is taken as two strips of 16 neurons, three columns of one step at a time (12 four-lane
    /// accumulators, each weight load serving three columns); steps go in order, since an incremental column starts
    /// from the one before. Partial panels go 4 neurons, then 1, at a time, one column at a time.
    private func accumulateDense(rows: Range<Int>, width: Int, active k: Int, binary: Bool) {
        let inputColumns = binary ? columns : batch, stepsPerItem = binary ? steps : 1
        let additions = UnsafePointer(binary ? scratch.assumingMemoryBound(to: Float.self) : spikesIn)
        let subtractions = additions + k * inputColumns
        func column(_ c: Int, first: Int) -> DenseColumn {
            let incremental = binary && listIncremental[c]
            return DenseColumn(add: additions + c * k, subtract: incremental ? subtractions + c * k : nil,
                               output: currents + c * width + first,
                               previous: incremental ? UnsafePointer(currents + (c - 1) * width + first) : nil)
        }
        for panel in rows.lowerBound / 32..<(rows.upperBound + 31) / 32 {
            let first = 32 * panel
            let panelRows = min(32, width - first)
            let base = UnsafeRawPointer(weights + panel * 32 * k)
            for t in 0..<stepsPerItem {
                if panelRows == 32 {
                    var b = 0
                    while b < batch {
                        let x = column(b * stepsPerItem + t, first: first)
                        let y = b + 1 < batch ? column((b + 1) * stepsPerItem + t, first: first) : nil
                        let z = b + 2 < batch ? column((b + 2) * stepsPerItem + t, first: first) : nil
                        Self.denseStrip(base, k: k, x, y, z, zeros: noSpikes, rowOffset: 0)
                        Self.denseStrip(base, k: k, x, y, z, zeros: noSpikes, rowOffset: 16)
                        b += 3
                    }
                    continue
                }
                for b in 0..<batch {
                    let x = column(b * stepsPerItem + t, first: first)
                    var i = 0
                    while i + 4 <= panelRows {
                        var a = x.previous.map { UnsafeRawPointer($0 + i).loadUnaligned(as: SIMD4<Float>.self) } ?? .zero
                        for m in 0..<k {
                            a += base.load(fromByteOffset: 128 * m + 4 * i, as: SIMD4<Float>.self) * SIMD4(repeating: x.add[m])
                        }
                        if let subtract = x.subtract {
                            for m in 0..<k {
                                a -= base.load(fromByteOffset: 128 * m + 4 * i, as: SIMD4<Float>.self)
                                    * SIMD4(repeating: subtract[m])
                            }
                        }
                        UnsafeMutableRawPointer(x.output + i).storeBytes(of: a, as: SIMD4<Float>.self)
                        i += 4
                    }
                    while i < panelRows {
                        var a: Float = x.previous?[i] ?? 0
                        for m in 0..<k { a += base.load(fromByteOffset: 128 * m + 4 * i, as: Float.self) * x.add[m] }
                        if let subtract = x.subtract {
                            for m in 0..<k { a -= base.load(fromByteOffset: 128 * m + 4 * i, as: Float.self) * subtract[m] }
                        }
                        x.output[i] = a
                        i += 1
                    }
                }
            }
        }
    }

    /// One column's share of the dense route for one panel: its flags (or analog values) over the k active inputs,
    /// where its currents go, and, when it is incremental, the previous column's currents of the same neurons.
    struct DenseColumn {
        let add: UnsafePointer<Float>
        let subtract: UnsafePointer<Float>?
        let output: UnsafeMutablePointer<Float>
        let previous: UnsafePointer<Float>?
    }

    /// Sixteen neurons (`rowOffset` within a full panel) for up to three columns: the additions of all three side
    /// by side, then, if any of them is incremental, their subtractions (`zeros` standing in for the flags of the
    /// others: subtracting w x 0 changes nothing). A missing column walks the first one's flags into accumulators
    /// that are not stored.
    @inline(__always)
    private static func denseStrip(_ base: UnsafeRawPointer, k: Int, _ x: DenseColumn, _ y: DenseColumn?,
                                   _ z: DenseColumn?, zeros: UnsafePointer<Float>, rowOffset: Int) {
        @inline(__always) func start(_ c: DenseColumn?) -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
            guard let p = c?.previous.map({ UnsafeRawPointer($0 + rowOffset) }) else { return (.zero, .zero, .zero, .zero) }
            return (p.loadUnaligned(fromByteOffset: 0, as: SIMD4<Float>.self),
                    p.loadUnaligned(fromByteOffset: 16, as: SIMD4<Float>.self),
                    p.loadUnaligned(fromByteOffset: 32, as: SIMD4<Float>.self),
                    p.loadUnaligned(fromByteOffset: 48, as: SIMD4<Float>.self))
        }
        var (a0, a1, a2, a3) = start(x), (b0, b1, b2, b3) = start(y), (c0, c1, c2, c3) = start(z)
        let p = base + 4 * rowOffset
        @inline(__always) func walk(_ fx: UnsafePointer<Float>, _ fy: UnsafePointer<Float>, _ fz: UnsafePointer<Float>,
                                    subtract: Bool) {
            for m in 0..<k {
                let q = p + 128 * m
                let w0 = q.load(fromByteOffset: 0, as: SIMD4<Float>.self)
                let w1 = q.load(fromByteOffset: 16, as: SIMD4<Float>.self)
                let w2 = q.load(fromByteOffset: 32, as: SIMD4<Float>.self)
                let w3 = q.load(fromByteOffset: 48, as: SIMD4<Float>.self)
                let sx = SIMD4(repeating: fx[m]), sy = SIMD4(repeating: fy[m]), sz = SIMD4(repeating: fz[m])
                if subtract {
                    a0 -= w0 * sx; a1 -= w1 * sx; a2 -= w2 * sx; a3 -= w3 * sx
                    b0 -= w0 * sy; b1 -= w1 * sy; b2 -= w2 * sy; b3 -= w3 * sy
                    c0 -= w0 * sz; c1 -= w1 * sz; c2 -= w2 * sz; c3 -= w3 * sz
                } else {
                    a0 += w0 * sx; a1 += w1 * sx; a2 += w2 * sx; a3 += w3 * sx
                    b0 += w0 * sy; b1 += w1 * sy; b2 += w2 * sy; b3 += w3 * sy
                    c0 += w0 * sz; c1 += w1 * sz; c2 += w2 * sz; c3 += w3 * sz
                }
            }
        }
        walk(x.add, y?.add ?? x.add, z?.add ?? x.add, subtract: false)
        if x.subtract != nil || y?.subtract != nil || z?.subtract != nil {
            walk(x.subtract ?? zeros, y?.subtract ?? zeros, z?.subtract ?? zeros, subtract: true)
        }
        @inline(__always) func store(_ c: DenseColumn?, _ v0: SIMD4<Float>, _ v1: SIMD4<Float>, _ v2: SIMD4<Float>,
                                     _ v3: SIMD4<Float>) {
            guard let c else { return }
            let out = UnsafeMutableRawPointer(c.output + rowOffset)
            out.storeBytes(of: v0, toByteOffset: 0, as: SIMD4<Float>.self)
            out.storeBytes(of: v1, toByteOffset: 16, as: SIMD4<Float>.self)
            out.storeBytes(of: v2, toByteOffset: 32, as: SIMD4<Float>.self)
            out.storeBytes(of: v3, toByteOffset: 48, as: SIMD4<Float>.self)
        }
        store(x, a0, a1, a2, a3)
        store(y, b0, b1, b2, b3)
        store(z, c0, c1, c2, c3)
    }

    /// The sparse route for the neurons `rows`: currents[rows, c] = (the previous column's currents, when the list is
    /// incremental, else 0) plus the weights of the list's first `listAdditions[c]` entries, minus those of the rest,
    /// in list order (so every neuron's sum runs in the same order whatever its block). A full panel of 32 neurons
    /// goes to `snn_accumulate_panel` (CKernels: AVX-512, AVX2 or SSE2 by CPU features, the same bits on each) for four
    /// batch items at a time, whose lists it walks side by side so that independent additions are in flight;
    /// partial panels go 4 neurons, then 1, at a time. Batch items are taken 16 at a time, so a panel stays in cache
    /// while their columns use it.
    private func accumulate(rows: Range<Int>, width: Int, fanIn: Int) {
        let lists = UnsafePointer(scratch.assumingMemoryBound(to: UInt32.self))
        let stride = 2 * (fanIn + 4)
        let chunk = 16
        for firstItem in Swift.stride(from: 0, to: batch, by: chunk) {
            let lastItem = min(batch, firstItem + chunk)
            for panel in rows.lowerBound / 32..<(rows.upperBound + 31) / 32 {
                let first = 32 * panel
                let panelRows = min(32, width - first)
                let base = UnsafeRawPointer(weights + panel * 32 * fanIn)
                func column(_ c: Int) -> PanelColumn {
                    PanelColumn(list: lists + c * stride, length: listLengths[c], additions: listAdditions[c],
                                output: UnsafeMutableRawPointer(currents + c * width + first),
                                incremental: listIncremental[c], width: width)
                }
                if panelRows == 32 {
                    let panelWeights = base.assumingMemoryBound(to: Float.self)
                    withUnsafeTemporaryAllocation(of: snn_panel_column.self, capacity: 4) { group in
                        var b = firstItem
                        while b < lastItem {
                            let count = min(4, lastItem - b)
                            for t in 0..<steps {
                                for i in 0..<count {
                                    let x = column((b + i) * steps + t)
                                    group[i] = snn_panel_column(
                                        list: x.list, length: x.length, additions: x.additions,
                                        output: x.output.assumingMemoryBound(to: Float.self),
                                        previous: x.incremental ? x.previous.assumingMemoryBound(to: Float.self) : nil)
                                }
                                snn_accumulate_panel(panelWeights, group.baseAddress!, count)
                            }
                            b += count
                        }
                    }
                    continue
                }
                for b in firstItem..<lastItem {
                    for t in 0..<steps {
                        let x = column(b * steps + t)
                        var i = 0
                        while i + 4 <= panelRows {
                            var a = x.incremental ? x.previous.loadUnaligned(fromByteOffset: 4 * i, as: SIMD4<Float>.self) : .zero
                            for e in 0..<x.additions {
                                a += base.load(fromByteOffset: 128 * Int(x.list[e]) + 4 * i, as: SIMD4<Float>.self)
                            }
                            for e in x.additions..<x.length {
                                a -= base.load(fromByteOffset: 128 * Int(x.list[e]) + 4 * i, as: SIMD4<Float>.self)
                            }
                            x.output.storeBytes(of: a, toByteOffset: 4 * i, as: SIMD4<Float>.self)
                            i += 4
                        }
                        while i < panelRows {
                            var a: Float = x.incremental ? x.previous.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) : 0
                            for e in 0..<x.additions {
                                a += base.load(fromByteOffset: 128 * Int(x.list[e]) + 4 * i, as: Float.self)
                            }
                            for e in x.additions..<x.length {
                                a -= base.load(fromByteOffset: 128 * Int(x.list[e]) + 4 * i, as: Float.self)
                            }
                            x.output.storeBytes(of: a, toByteOffset: 4 * i, as: Float.self)
                            i += 1
                        }
                    }
                }
            }
        }
    }

    /// One column's share of a panel: its list, where its 32 currents go, and whether it starts from the previous
    /// column's currents (`previous`, the same neurons one column earlier).
    struct PanelColumn {
        let list: UnsafePointer<UInt32>
        let length: Int
        let additions: Int
        let output: UnsafeMutableRawPointer
        let incremental: Bool
        let width: Int
        var previous: UnsafeRawPointer { UnsafeRawPointer(output - 4 * width) }
    }

    /// The LIF scan of the neurons `rows` over steps, for every batch item, from `currents` (the current of batch
    /// item b at step t is column b * currentsPerBatchItem + t * currentsPerStep). Writes spikes to `spikesOut`,
    /// counts each neuron's spikes in `spikeCountOut`, and leaves per-column partial sums at (tile, column).
    /// Four neurons per `LIFUpdate.step` on `SIMD4<Float>`, the remainder one at a time on `Float`. With `kept`, also
    /// stores each u_l[t] there (column-major, like the spikes).
    private func scan(tile: Int, rows: Range<Int>, width: Int, currentsPerBatchItem: Int, currentsPerStep: Int,
                      kept: UnsafeMutablePointer<Float>?) {
        let lif = self.lif
        let count = rows.count
        let vectorized = count / 4 * 4
        let u = potentials + rows.lowerBound
        let ever = spikeCountOut + rows.lowerBound
        ever.initialize(repeating: 0, count: count)
        for b in 0..<batch {
            u.initialize(repeating: 0, count: count)
            for t in 0..<steps {
                let column = b * steps + t
                let current = currents + (b * currentsPerBatchItem + t * currentsPerStep) * width + rows.lowerBound
                let spikes = spikesOut + column * width + rows.lowerBound
                let previous = t == 0 ? noSpikes : spikes - width
                let keptColumn = kept.map { $0 + column * width + rows.lowerBound }
                var sum = SIMD4<Double>(), squares = SIMD4<Double>(), fired = SIMD4<Float>()
                var i = 0
                while i < vectorized {
                    let (v, s) = lif.step(potential: Self.load(u + i), spike: Self.load(previous + i),
                                          current: Self.load(current + i))
                    Self.store(v, u + i)
                    Self.store(s, spikes + i)
                    if let keptColumn { Self.store(v, keptColumn + i) }
                    Self.store(Self.load(ever + i) + s, ever + i)
                    fired += s
                    let d = SIMD4<Double>(v)
                    sum += d
                    squares += d * d
                    i += 4
                }
                var tailSum = 0.0, tailSquares = 0.0, tailFired: Float = 0
                while i < count {
                    let (v, s) = lif.step(potential: u[i], spike: previous[i], current: current[i])
                    u[i] = v
                    spikes[i] = s
                    keptColumn?[i] = v
                    ever[i] += s
                    tailFired += s
                    tailSum += Double(v)
                    tailSquares += Double(v) * Double(v)
                    i += 1
                }
                let slot = tile * columns + column
                tileSums[slot] = sum.sum() + tailSum
                tileSquares[slot] = squares.sum() + tailSquares
                tileSpikes[slot] = Int(fired.sum() + tailFired)
            }
        }
    }

    @inline(__always)
    private static func load(_ p: UnsafeMutablePointer<Float>) -> SIMD4<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
    }

    @inline(__always)
    private static func store(_ v: SIMD4<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Float>.self)
    }

    /// Merges the (tile, column) partial sums into each step's mean, unbiased variance and rate over n_l x B
    /// entries, in the order step, batch item, tile (Chan, Golub and LeVeque's pairwise update; within a tile the
    /// squares are centred as sum(u^2) - sum(u)^2 / m). Returns the layer's total spike count.
    private func mergeStatistics(tiles: Int, width: Int, results: NetworkResults, base: Int) -> Int {
        var total = 0
        for t in 0..<steps {
            var n = 0.0, mean = 0.0, m2 = 0.0
            var fired = 0
            for b in 0..<batch {
                for tile in 0..<tiles {
                    let slot = tile * columns + b * steps + t
                    let m = Double(min(width, (tile + 1) * Simulator.rowsPerTile) - tile * Simulator.rowsPerTile)
                    let tileMean = tileSums[slot] / m
                    let tileM2 = max(0, tileSquares[slot] - tileSums[slot] * tileMean)
                    let merged = n + m
                    let delta = tileMean - mean
                    mean += delta * m / merged
                    m2 += tileM2 + delta * delta * n * m / merged
                    n = merged
                    fired += tileSpikes[slot]
                }
            }
            results.means[base + t] = mean
            results.variances[base + t] = n > 1 ? m2 / (n - 1) : 0
            results.rates[base + t] = Double(fired) / n
            total += fired
        }
        return total
    }
}
