import Dispatch
import SNNLinearAlgebra
import SNNModel

/// Float32 memory owned by the workspace, zeroed at allocation, freed with it.
final class FloatBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(_ count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    /// The values, copied.
    convenience init(_ values: [Float]) {
        self.init(values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { pointer.deallocate() }
}

/// Runs `body(worker, item)` for item in 0..<count on up to `threads` workers; worker is in 0..<min(threads, count)
/// and no two items run on one worker at once, so a worker may own scratch memory. The caller makes the items
/// independent (disjoint writes, reads of what no item writes), which is what lets `body` capture raw pointers:
/// it is handed to the workers as `@Sendable` on that promise.
func parallelWork(_ count: Int, threads: Int, _ body: (_ worker: Int, _ item: Int) -> Void) {
    if threads <= 1 || count <= 1 {
        for i in 0..<count { body(0, i) }
        return
    }
    withoutActuallyEscaping(body) { body in
        let shared = unsafeBitCast(body, to: (@Sendable (Int, Int) -> Void).self)
        let queue = WorkQueue(count: count)
        DispatchQueue.concurrentPerform(iterations: min(threads, count)) { worker in
            while let i = queue.take() { shared(worker, i) }
        }
    }
}

/// The buffers and per-node plans of one `GraphSimulation` run. Every node's output is B x outputs, sample-major
/// (sample b's values at b x outputs). `@unchecked Sendable`: the parallel items of a phase write disjoint regions and
/// read only what earlier, finished phases wrote.
final class GraphWorkspace: @unchecked Sendable {
    /// What node i does at each step, with what it needs prepared.
    enum Step {
        case input(index: Int)
        case dense(weights: FloatBuffer, bias: [Float], inputs: Int, outputs: Int)
        case convolution(ConvolutionPlan)
        case pool(WindowGeometry, average: Bool)
        case copy
        case alias
        case scale(FloatBuffer)
        case neurons(NeuronState)
    }

    /// A neuron node's parameters (one per neuron), its state for the batch and its statistics.
    final class NeuronState: @unchecked Sendable {
        let count: Int
        let leak: FloatBuffer, gain: FloatBuffer, bias: FloatBuffer
        let synapticLeak: FloatBuffer?, threshold: FloatBuffer?, resetValue: FloatBuffer?, lowerBound: FloatBuffer?
        let multiSpike: Bool
        /// v and I for the batch (B x N).
        let membrane: FloatBuffer
        let current: FloatBuffer?
        /// Per (item, sample): the item's membrane mean, centred sum of squares and spike count.
        let partials: UnsafeMutablePointer<Double>
        /// Per item: neurons that spiked in no sample at this step.
        let silent: UnsafeMutablePointer<Int>
        /// Per neuron: spikes at step 1 and over all steps, summed over samples.
        let firstStepCounts: UnsafeMutablePointer<Double>
        let counts: UnsafeMutablePointer<Double>
        let items: Int
        let record: GraphLayerRecord

        init(_ n: NetworkGraph.NeuronLayer, node: Int, name: String, steps: Int, batch: Int) {
            count = n.count
            leak = FloatBuffer(n.leak)
            gain = FloatBuffer(n.gain)
            bias = FloatBuffer(n.bias)
            synapticLeak = n.synapticLeak.map(FloatBuffer.init)
            threshold = n.threshold.map(FloatBuffer.init)
            resetValue = n.resetValue.map(FloatBuffer.init)
            lowerBound = n.lowerBound.map(FloatBuffer.init)
            multiSpike = n.multiSpike
            membrane = FloatBuffer(batch * count)
            current = n.synapticLeak == nil ? nil : FloatBuffer(batch * count)
            items = (count + GraphPlan.neuronsPerItem - 1) / GraphPlan.neuronsPerItem
            partials = .allocate(capacity: 3 * items * batch)
            silent = .allocate(capacity: items)
            firstStepCounts = .allocate(capacity: count)
            firstStepCounts.initialize(repeating: 0, count: count)
            counts = .allocate(capacity: count)
            counts.initialize(repeating: 0, count: count)
            record = GraphLayerRecord(node: node, name: name, neurons: count, spiking: n.threshold != nil,
                                      steps: steps, batch: batch)
        }

        deinit {
            partials.deallocate()
            silent.deallocate()
            firstStepCounts.deallocate()
            counts.deallocate()
        }
    }

    let simulation: GraphSimulation
    let graph: NetworkGraph
    let batch: Int, threads: Int
    var plans: [Step] = []
    /// Node i's outputs at this step (B x outputs), and at the previous step for the nodes a delayed edge reads.
    var outputs: [UnsafeMutablePointer<Float>] = []
    var owned: [FloatBuffer] = []
    var previous: [Int: FloatBuffer] = [:]
    /// The summed input of a node with several (or delayed) inputs.
    let sum: FloatBuffer
    /// The padded input of a convolution with padding.
    let padded: FloatBuffer
    /// Per worker: im2col rows and their product, or a neuron item's membranes and spike counts.
    let rows: [FloatBuffer]
    let products: [FloatBuffer]
    let itemCounts: [UnsafeMutablePointer<Double>]
    /// Per input node and sample, its stream.
    let streams: UnsafeMutablePointer<Xoshiro256StarStar>
    let streamCount: Int

    init(_ s: GraphSimulation) {
        simulation = s
        graph = s.graph
        batch = s.batch
        threads = s.threads
        let plan = GraphPlan(s.graph)
        let delayed = plan.delayedSources
        var largestSum = 0, largestPadded = 0, largestRows = 0, largestProduct = 0
        var inputIndex = 0
        for (i, node) in graph.nodes.enumerated() {
            if plan.sumsInputs(i) { largestSum = max(largestSum, node.inputCount) }
            if plan.aliases(i) {
                outputs.append(outputs[node.inputs[0]])
            } else {
                let buffer = FloatBuffer(s.batch * node.outputCount)
                owned.append(buffer)
                outputs.append(buffer.pointer)
            }
            if delayed.contains(i) { previous[i] = FloatBuffer(s.batch * node.outputCount) }
            switch node.operation {
            case .input:
                plans.append(.input(index: inputIndex))
                inputIndex += 1
            case .dense(let d):
                var transposed = [Float](repeating: 0, count: d.weight.count)
                for o in 0..<d.outputs {
                    for j in 0..<d.inputs { transposed[j * d.outputs + o] = d.weight[o * d.inputs + j] }
                }
                plans.append(.dense(weights: FloatBuffer(transposed), bias: d.bias, inputs: d.inputs,
                                    outputs: d.outputs))
            case .convolution(let c):
                let convolution = ConvolutionPlan(c, inputShape: node.inputShape)
                if convolution.window.isPadded {
                    largestPadded = max(largestPadded, s.batch * convolution.window.paddedCount)
                }
                largestRows = max(largestRows, convolution.rowsPerItem * convolution.columns)
                largestProduct = max(largestProduct, convolution.rowsPerItem * convolution.groupOutputs)
                plans.append(.convolution(convolution))
            case .pool(let p):
                plans.append(.pool(WindowGeometry(input: node.inputShape, kernel: p.kernel, stride: p.stride,
                                                  padding: p.padding, dilation: [1, 1]), average: p.average))
            case .flatten, .output:
                plans.append(plan.aliases(i) ? .alias : .copy)
            case .scale(let values):
                plans.append(.scale(FloatBuffer(values)))
            case .neurons(let n):
                largestRows = max(largestRows, GraphPlan.neuronsPerItem)
                plans.append(.neurons(NeuronState(n, node: i, name: node.name, steps: s.steps, batch: s.batch)))
            }
        }
        sum = FloatBuffer(s.batch * largestSum)
        padded = FloatBuffer(largestPadded)
        let workers = max(1, s.threads)
        rows = (0..<workers).map { _ in FloatBuffer(largestRows) }
        products = (0..<workers).map { _ in FloatBuffer(largestProduct) }
        itemCounts = (0..<workers).map { _ in
            let counts = UnsafeMutablePointer<Double>.allocate(capacity: GraphPlan.neuronsPerItem)
            counts.initialize(repeating: 0, count: GraphPlan.neuronsPerItem)
            return counts
        }
        streamCount = inputIndex * s.batch
        streams = .allocate(capacity: max(streamCount, 1))
        for (k, node) in graph.inputNodes.enumerated() {
            for b in 0..<s.batch {
                (streams + k * s.batch + b).initialize(to: Xoshiro256StarStar(seed: s.seed, network: 0, layer: node,
                                                                              block: b))
            }
        }
    }

    deinit {
        itemCounts.forEach { $0.deallocate() }
        streams.deinitialize(count: streamCount)
        streams.deallocate()
    }

    /// Step t (from 1): every node in order, then the outputs the delayed edges read at t + 1 kept.
    func step(_ t: Int) throws {
        for (i, node) in graph.nodes.enumerated() {
            let output = outputs[i]
            switch plans[i] {
            case .input(let index):
                drawInput(index: index, count: node.outputCount, step: t, output: output)
            case .dense(let weights, let bias, let inputs, let outputs):
                let x = input(of: i)
                MatrixMultiply.multiply(
                    UnsafeBufferPointer(start: x, count: batch * inputs),
                    UnsafeBufferPointer(start: weights.pointer, count: weights.count),
                    into: UnsafeMutableBufferPointer(start: output, count: batch * outputs),
                    m: batch, k: inputs, n: outputs, threads: threads)
                if !bias.isEmpty {
                    for b in 0..<batch {
                        for o in 0..<outputs { output[b * outputs + o] += bias[o] }
                    }
                }
            case .convolution(let plan):
                convolve(plan, input: input(of: i), output: output)
            case .pool(let window, let average):
                let x = input(of: i)
                parallelWork(batch, threads: threads) { _, b in
                    Self.pool(window, average: average, input: x + b * window.inputCount,
                              output: output + b * window.channels * window.positions)
                }
            case .copy:
                output.update(from: input(of: i), count: batch * node.outputCount)
            case .alias:
                break
            case .scale(let values):
                let x = input(of: i), n = node.outputCount
                parallelWork(batch, threads: threads) { _, b in
                    for j in 0..<n { output[b * n + j] = values.pointer[j] * x[b * n + j] }
                }
            case .neurons(let state):
                try updateNeurons(state, input: input(of: i), output: output, step: t, name: node.name)
            }
        }
        for (i, buffer) in previous {
            buffer.pointer.update(from: outputs[i], count: buffer.count)
        }
    }

    /// Node i's input at this step: its one input's outputs, or the sum (inputs in order, then delayed inputs).
    func input(of i: Int) -> UnsafeMutablePointer<Float> {
        let node = graph.nodes[i]
        if node.inputs.count == 1 && node.delayedInputs.isEmpty { return outputs[node.inputs[0]] }
        let sources = node.inputs.map { outputs[$0] } + node.delayedInputs.map { previous[$0]!.pointer }
        let n = node.inputCount, target = sum.pointer
        parallelWork(batch, threads: threads) { _, b in
            let x = target + b * n
            guard let first = sources.first else {
                x.update(repeating: 0, count: n)
                return
            }
            x.update(from: first + b * n, count: n)
            for source in sources.dropFirst() {
                for j in 0..<n { x[j] += source[b * n + j] }
            }
        }
        return target
    }

    func drawInput(index k: Int, count n: Int, step t: Int, output: UnsafeMutablePointer<Float>) {
        switch simulation.input {
        case .encoding(.bernoulli(let p)):
            let threshold = Xoshiro256StarStar.bernoulliThreshold(probability: p)
            parallelWork(batch, threads: threads) { _, b in
                let rng = self.streams + k * self.batch + b
                let x = output + b * n
                for j in 0..<n { x[j] = rng.pointee.nextBernoulli(threshold53: threshold) ? 1 : 0 }
            }
        case .encoding(.gaussian(let s)):
            guard t == 1 else { return }
            parallelWork(batch, threads: threads) { _, b in
                (self.streams + k * self.batch + b).pointee.fillNormal(output + b * n, count: n, scale: Float(s))
            }
        case .array(let values, let shape):
            let perStep = shape.count == graph.nodes[graph.inputNodes[k]].outputShape.count + 2
            guard perStep || t == 1 else { return }
            values.withUnsafeBufferPointer { values in
                for b in 0..<batch {
                    let start = perStep ? (b * simulation.steps + t - 1) * n : b * n
                    (output + b * n).update(from: values.baseAddress! + start, count: n)
                }
            }
        }
    }

    func convolve(_ plan: ConvolutionPlan, input: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>) {
        var source = UnsafePointer(input)
        if plan.window.isPadded {
            let target = padded.pointer
            parallelWork(batch, threads: threads) { _, b in plan.pad(sample: b, input: input, padded: target) }
            source = UnsafePointer(target)
        }
        let padded = source
        parallelWork(plan.items(batch: batch), threads: threads) { worker, item in
            plan.run(item: item, batch: self.batch, padded: padded, output: output, rows: self.rows[worker].pointer,
                     product: self.products[worker].pointer)
        }
    }

    /// Sum (or mean over the full window) of each window, zero outside the input; one sample. The window's rows and
    /// columns inside the input are found first, and summed in row-major order.
    static func pool(_ w: WindowGeometry, average: Bool, input: UnsafePointer<Float>,
                     output: UnsafeMutablePointer<Float>) {
        let size = Float(w.kernelHeight * w.kernelWidth)
        for c in 0..<w.channels {
            let plane = input + c * w.height * w.width
            for y in 0..<w.outputHeight {
                let top = y * w.strideY - w.paddingY
                let rows = Self.inside(top, w.kernelHeight, w.height)
                for x in 0..<w.outputWidth {
                    let left = x * w.strideX - w.paddingX
                    let columns = Self.inside(left, w.kernelWidth, w.width)
                    var total: Float = 0
                    for i in rows {
                        let row = plane + (top + i) * w.width + left
                        for j in columns { total += row[j] }
                    }
                    output[(c * w.outputHeight + y) * w.outputWidth + x] = average ? total / size : total
                }
            }
        }
    }

    /// The offsets k in 0..<length with start + k in 0..<size (empty for a window wholly in the padding).
    static func inside(_ start: Int, _ length: Int, _ size: Int) -> Range<Int> {
        let lower = max(0, -start)
        return lower..<max(lower, min(length, size - start))
    }

    /// One step of a neuron node (`GraphSimulation`'s update), in items of `GraphPlan.neuronsPerItem` neurons; each
    /// item keeps per sample its membranes' mean, centred sum of squares and spikes, merged per sample afterwards in
    /// item order (Chan, Golub and LeVeque's pairwise update).
    func updateNeurons(_ s: NeuronState, input: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>,
                       step t: Int, name: String) throws {
        let n = s.count, batch = self.batch
        parallelWork(s.items, threads: threads) { worker, item in
            let first = item * GraphPlan.neuronsPerItem, size = min(GraphPlan.neuronsPerItem, n - first)
            let u = self.rows[worker].pointer, counts = self.itemCounts[worker]
            counts.update(repeating: 0, count: size)
            let leak = s.leak.pointer + first, gain = s.gain.pointer + first, bias = s.bias.pointer + first
            for b in 0..<batch {
                let offset = b * n + first
                let x = input + offset, v = s.membrane.pointer + offset, y = output + offset
                var drive = UnsafePointer(x)
                if let alpha = s.synapticLeak.map({ $0.pointer + first }), let current = s.current?.pointer {
                    let current = current + offset
                    for i in 0..<size { current[i] = alpha[i] * current[i] + x[i] }
                    drive = UnsafePointer(current)
                }
                for i in 0..<size { u[i] = leak[i] * v[i] + gain[i] * drive[i] + bias[i] }
                Self.fire(s, first: first, size: size, u: u, v: v, y: y, counts: counts)
                let mean = Self.sum(u, size) / Double(size)
                let partial = s.partials + 3 * (item * batch + b)
                partial[0] = mean
                partial[1] = Self.sumOfSquares(u, size, about: mean)
                partial[2] = s.threshold == nil ? 0 : Self.sum(y, size)
            }
            guard s.threshold != nil else { return }
            var silent = 0
            for i in 0..<size {
                if counts[i] == 0 { silent += 1 }
                if t == 1 { s.firstStepCounts[first + i] = counts[i] }
                s.counts[first + i] += counts[i]
            }
            s.silent[item] = silent
        }
        let record = s.record
        let base = (t - 1) * batch
        for b in 0..<batch {
            var count = 0.0, mean = 0.0, squares = 0.0, spikes = 0.0
            for item in 0..<s.items {
                let partial = s.partials + 3 * (item * batch + b)
                let size = Double(min(GraphPlan.neuronsPerItem, n - item * GraphPlan.neuronsPerItem))
                let delta = partial[0] - mean, merged = count + size
                mean += delta * size / merged
                squares += partial[1] + delta * delta * count * size / merged
                count = merged
                spikes += partial[2]
            }
            guard mean.isFinite, squares.isFinite else { throw GraphSimulationError.nonFinite(node: name, step: t) }
            record.means[base + b] = mean
            record.squares[base + b] = squares
            record.spikes[base + b] = spikes
        }
        if s.threshold != nil { record.silent[t - 1] = (0..<s.items).reduce(0) { $0 + s.silent[$1] } }
    }

    /// Spikes and reset of `size` neurons from `first` in one sample, from their membranes u: y = the spikes (or u
    /// without threshold), v = the membrane after the reset, and each neuron's spikes added to `counts`. The loops
    /// are written per firing rule and reset so that none tests either per neuron.
    static func fire(_ s: NeuronState, first: Int, size: Int, u: UnsafePointer<Float>, v: UnsafeMutablePointer<Float>,
                     y: UnsafeMutablePointer<Float>, counts: UnsafeMutablePointer<Double>) {
        guard let threshold = s.threshold?.pointer else {
            v.update(from: u, count: size)
            y.update(from: u, count: size)
            return
        }
        let theta = threshold + first
        switch (s.multiSpike, s.resetValue.map { $0.pointer + first }) {
        case (false, nil):
            for i in 0..<size {
                let fired: Float = u[i] > theta[i] ? 1 : 0
                y[i] = fired
                v[i] = fired > 0 ? u[i] - theta[i] * fired : u[i]
            }
        case (true, nil):
            for i in 0..<size {
                let fired: Float = u[i] >= theta[i] ? Self.floorOfPositive(u[i] / theta[i]) : 0
                y[i] = fired
                v[i] = fired > 0 ? u[i] - theta[i] * fired : u[i]
            }
        case (false, let reset?):
            for i in 0..<size {
                let fired: Float = u[i] > theta[i] ? 1 : 0
                y[i] = fired
                v[i] = fired > 0 ? reset[i] : u[i]
            }
        case (true, let reset?):
            for i in 0..<size {
                let fired: Float = u[i] >= theta[i] ? Self.floorOfPositive(u[i] / theta[i]) : 0
                y[i] = fired
                v[i] = fired > 0 ? reset[i] : u[i]
            }
        }
        for i in 0..<size { counts[i] += Double(y[i]) }
        if let bound = s.lowerBound?.pointer {
            for i in 0..<size { v[i] = max(v[i], bound[first + i]) }
        }
    }

    /// floor(q) for q >= 0, exactly, without a library call (the baseline x86-64 target has no floor instruction): r =
    /// (q + 2^23) - 2^23 rounds q to an integer (exact for q < 2^23), less one when that rounded up; from 2^23 on
    /// every Float is an integer.
    @inline(__always)
    static func floorOfPositive(_ q: Float) -> Float {
        guard q < 0x1p23 else { return q }
        let r = (q + 0x1p23) - 0x1p23
        return r > q ? r - 1 : r
    }

    /// sum_i p[i] in Double, in a fixed order: four lanes, element i in lane i mod 4 (the tail likewise), then
    /// (lane 0 + lane 1) + (lane 2 + lane 3).
    static func sum(_ p: UnsafePointer<Float>, _ count: Int) -> Double {
        var lanes = SIMD4<Double>()
        var i = 0
        while i + 4 <= count {
            lanes += SIMD4<Double>(UnsafeRawPointer(p + i).loadUnaligned(as: SIMD4<Float>.self))
            i += 4
        }
        for j in i..<count { lanes[j - i] += Double(p[j]) }
        return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
    }

    /// sum_i (p[i] - mean)^2 in Double, in the lanes of `sum`.
    static func sumOfSquares(_ p: UnsafePointer<Float>, _ count: Int, about mean: Double) -> Double {
        var lanes = SIMD4<Double>()
        var i = 0
        while i + 4 <= count {
            let d = SIMD4<Double>(UnsafeRawPointer(p + i).loadUnaligned(as: SIMD4<Float>.self)) - mean
            lanes += d * d
            i += 4
        }
        for j in i..<count {
            let d = Double(p[j]) - mean
            lanes[j - i] += d * d
        }
        return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
    }

    func statistics(elapsedSeconds: Double) -> GraphStatistics {
        let groups = GraphStatistics.varianceGroups(batch: batch)
        let layers = plans.compactMap { step -> GraphLayerStatistics? in
            guard case .neurons(let s) = step else { return nil }
            return s.record.summary(
                groups: groups, firstStepCounts: Array(UnsafeBufferPointer(start: s.firstStepCounts, count: s.count)),
                counts: Array(UnsafeBufferPointer(start: s.counts, count: s.count)))
        }
        return GraphStatistics(steps: simulation.steps, batch: batch, seed: simulation.seed, varianceGroups: groups,
                               layers: layers, elapsedSeconds: elapsedSeconds)
    }
}
