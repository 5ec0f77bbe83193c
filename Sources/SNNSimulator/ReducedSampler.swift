import Dispatch
import Foundation
import SNNModel
import SNNSupport

/// The exact reduced sampler of THEORY.md section 5, for several time steps at finite width.
///
/// For one input and iid Gaussian weights N(0, Var[w_l]), the currents of layer l given the spikes of layer l-1 are
/// independent across neurons, each a T-vector N(0, Var[w_l] C_{l-1}) with the overlap matrix
/// C_{l-1}(t, t') = sum_i s_i[t] s_i[t'] of the previous layer (for a constant analog input x: C_0 = |x|^2 everywhere).
/// So a network's statistics for one input can be sampled exactly without a weight matrix: draw n_l current vectors
/// L z (L L^T = Var[w_l] C_{l-1}), run the LIF update of `LIFUpdate` on each, and accumulate C_l. Work per layer is
/// O(n_l T^2) instead of the full simulator's O(n_{l-1} n_l T).
///
/// The neurons of a layer are sampled in blocks of `blockWidth`, eight to a SIMD lane group, time outermost: the
/// currents L z in Float32 (L rounded to Float32), the LIF update across the lanes, the sums of u and u^2 in Float32
/// per block and step (then added in Double), and the spikes as bitsets B_t, from which
/// C_l(t, t') = popcount(B_t AND B_t') costs O(n_l T^2 / 64). Each network draws from its own streams
/// (seed, network, layer, block 2^20), one per layer, so results do not depend on the thread count.
///
/// Exact for Gaussian weights and batch 1 (uniform weights have other current laws at finite fan-in).
/// The result has the shape of `Simulator.run`'s with `batch` = 1, so every report and test handles both alike.
public enum ReducedSampler {
    /// Samples every network; `completed`, `progress` and `onNetwork` as in `Simulator.run`. The configuration must
    /// have batch 1 and Gaussian weights, the case the sampler is exact for (callers check; the command line refuses
    /// other values with a message).
    public static func run(_ configuration: SimulationConfiguration, completed: [NetworkRecord] = [],
                           progress: (@Sendable (_ finished: Int, _ total: Int) -> Void)? = nil,
                           onNetwork: (@Sendable (NetworkRecord) -> Void)? = nil) -> SimulationStatistics
    {
        precondition(configuration.batch == 1 && configuration.weightDistribution == .gaussian,
                     "the reduced sampler is exact for Gaussian weights and one input per network only")
        let c = configuration
        let depth = c.architecture.depth, steps = c.steps
        let (results, computed, seconds) = NetworkLoop.run(
            c, workers: c.threads, completed: completed, progress: progress, onNetwork: onNetwork
        ) {
            { r, results in sampleNetwork(r, c, results) }
        }
        let perColumn = (1...depth).reduce(0.0) { $0 + Double(c.architecture.width(layer: $1)) * Double(steps * steps) }
        return SimulationStatistics(
            configuration: c, layers: results.summarize(), synapticEvents: perColumn * Double(computed),
            elapsedSeconds: seconds)
    }

    /// The bytes `run` plans to allocate, saturating at `Int.max`: per concurrent network the overlap matrices, the
    /// covariance and its Cholesky factor (4 T^2 doubles or integers), the factor in Float32 in four lanes (16 T^2
    /// bytes) and a block of normals (256 T floats); plus the kept results, per network, layer and step the mean,
    /// variance and rate, and once more as the summary's per-network lists (48 bytes x R x L x T). No weight matrix:
    /// the width enters the work, O(n T^2) per layer, not the memory.
    public static func estimatedBytes(_ c: SimulationConfiguration) -> Int {
        estimatedBytes(depth: c.architecture.depth, steps: c.steps, networks: c.networks, threads: c.threads)
    }

    /// The same for a run of these sizes, before any network is built (the width does not enter).
    public static func estimatedBytes(depth: Int, steps: Int, networks: Int, threads: Int) -> Int {
        let steps = Double(steps)
        let perNetwork = workspaceBytes(steps: steps)
        let results = 48 * Double(networks) * Double(depth) * steps + Double(networks) * Double(depth)
        let total = perNetwork * Double(min(threads, networks)) + results
        return total >= Double(Int.max) ? .max : Int(total)
    }

    /// The bytes of one `Workspace`: the overlap, covariance and Cholesky matrices (4 T^2 doubles or integers), the
    /// factor in Float32 in four lanes (16 T^2 bytes), a block of normals (256 T floats) and the spike words.
    static func workspaceBytes(steps: Double) -> Double {
        48 * steps * steps + 4 * 256 * steps + 64 * steps
    }

    /// Neurons per block: 32 groups of eight lanes, so that a step's spikes of the block are one 32-bit word per lane.
    /// For small T, a block's normals, potentials and spikes stay in the L1 cache.
    static let blockWidth = 256

    /// The stream block of the sampler's draws: (seed, network, layer, `stream`); the inputs are layer 0.
    static let stream = 1 << 20

    static func sampleNetwork(_ r: Int, _ c: SimulationConfiguration, _ results: NetworkResults) {
        let steps = c.steps, depth = c.architecture.depth
        var overlap = [Double](repeating: 0, count: steps * steps)
        let workspace = Workspace(steps: steps)
        defer { workspace.deallocate() }
        inputOverlap(network: r, c, stream: stream, workspace, into: &overlap)
        let update = LIFUpdate(c.neuron)
        var silentAbove = false
        for l in 1...depth {
            let n = c.architecture.width(layer: l)
            let offset = (r * depth + (l - 1)) * steps
            if silentAbove {
                results.silent[r * depth + l - 1] = true
                continue
            }
            sampleLayer(l, network: r, width: n, variance: c.weightVariances[l - 1], overlap: overlap, update: update,
                        seed: c.seed, stream: stream, workspace)
            let counts = workspace.counts, nd = Double(n)
            for t in 0..<steps {
                let mean = workspace.potentialSums[t] / nd
                let squares = workspace.potentialSums[steps + t]
                results.means[offset + t] = mean
                // Unbiased over the layer's entries, as the full simulator reports it (divisor n - 1; 0 for n = 1).
                results.variances[offset + t] = n > 1 ? max(squares - nd * mean * mean, 0) / (nd - 1) : 0
                results.rates[offset + t] = Double(counts[t * steps + t]) / nd
            }
            silentAbove = (0..<steps).allSatisfy { counts[$0 * steps + $0] == 0 }
            results.silent[r * depth + l - 1] = silentAbove
            for i in 0..<overlap.count { overlap[i] = Double(counts[i]) }
        }
    }

    /// The overlap matrix C_0 of network r's input, drawn from stream (seed, r, 0, `stream`): for Bernoulli spikes
    /// C_0(t, t') counts the inputs on at both steps; for an analog input x, C_0 = |x|^2 everywhere.
    static func inputOverlap(network r: Int, _ c: SimulationConfiguration, stream: Int, _ workspace: Workspace,
                             into overlap: inout [Double]) {
        let steps = c.steps
        var rng = Xoshiro256StarStar(seed: c.seed, network: r, layer: 0, block: stream)
        let counts = workspace.counts
        counts.initialize(repeating: 0, count: steps * steps)
        let n0 = c.architecture.widths[0]
        switch c.input {
        case let .bernoulli(p):
            // 64 input neurons at a time: bit i of word t is the spike of neuron i of the group at step t.
            let threshold = Xoshiro256StarStar.bernoulliThreshold(probability: p)
            let words = workspace.words
            for groupStart in stride(from: 0, to: n0, by: 64) {
                words.initialize(repeating: 0, count: steps)
                for i in 0..<min(64, n0 - groupStart) {
                    for t in 0..<steps where rng.nextBernoulli(threshold53: threshold) { words[t] |= 1 << UInt64(i) }
                }
                addOverlap(words, wordsPerStep: 1, steps: steps, to: counts)
            }
            for i in 0..<overlap.count { overlap[i] = Double(counts[i]) }
        case let .gaussian(s):
            var x = [Float](repeating: 0, count: n0)
            x.withUnsafeMutableBufferPointer { rng.fillNormal($0.baseAddress!, count: n0, scale: Float(s)) }
            let squared = x.reduce(0.0) { $0 + Double($1) * Double($1) }
            for i in 0..<overlap.count { overlap[i] = squared }
        }
    }

    /// Samples layer l (`width` neurons) of network r given the previous layer's overlap matrix, with currents
    /// N(0, `variance` x overlap) drawn from stream (seed, r, l, `stream`): afterwards the workspace holds the layer's
    /// overlap matrix in `counts` and its sums of u and u^2 per step in `potentialSums`.
    static func sampleLayer(_ l: Int, network r: Int, width: Int, variance: Double, overlap: [Double],
                            update: LIFUpdate, seed: UInt64, stream: Int, _ workspace: Workspace) {
        let steps = workspace.steps
        for i in 0..<overlap.count { workspace.covariance[i] = overlap[i] * variance }
        Cholesky.factor(workspace.covariance, steps, into: workspace.cholesky)
        for i in 0..<overlap.count { workspace.factor[i] = SIMD4(repeating: Float(workspace.cholesky[i])) }
        var rng = Xoshiro256StarStar(seed: seed, network: r, layer: l, block: stream)
        workspace.potentialSums.initialize(repeating: 0, count: 2 * steps)
        workspace.counts.initialize(repeating: 0, count: steps * steps)
        sampleLayer(width: width, update: update, rng: &rng, workspace)
    }

    /// One network's buffers, allocated once.
    struct Workspace {
        let steps: Int
        /// The layer's current covariance Var[w_l] C_{l-1} and its Cholesky factor, row-major T x T.
        let covariance: UnsafeMutablePointer<Double>
        let cholesky: UnsafeMutablePointer<Double>
        /// The layer's Cholesky factor in Float32, row-major T x T, each entry in all four lanes.
        let factor: UnsafeMutablePointer<SIMD4<Float>>
        /// The block's standard normals, step-major: group g of step k at k * blockWidth / 8 + g.
        let normals: UnsafeMutablePointer<SIMD8<Float>>
        /// The block's potentials and spikes (0 or 1), one entry per group of eight neurons.
        let potentials: UnsafeMutablePointer<SIMD8<Float>>
        let spikes: UnsafeMutablePointer<SIMD8<Float>>
        /// The block's spikes as bitsets, four words per step.
        let words: UnsafeMutablePointer<UInt64>
        /// The layer's sums of u[t] (entries 0..<T) and of u[t]^2 (entries T..<2T).
        let potentialSums: UnsafeMutablePointer<Double>
        /// The layer's overlap matrix C(t, t'), row-major T x T.
        let counts: UnsafeMutablePointer<Int>

        init(steps: Int) {
            self.steps = steps
            let groups = ReducedSampler.blockWidth / 8
            covariance = .allocate(capacity: steps * steps)
            cholesky = .allocate(capacity: steps * steps)
            factor = .allocate(capacity: steps * steps)
            normals = .allocate(capacity: steps * groups)
            potentials = .allocate(capacity: groups)
            spikes = .allocate(capacity: groups)
            words = .allocate(capacity: 4 * steps)
            potentialSums = .allocate(capacity: 2 * steps)
            counts = .allocate(capacity: steps * steps)
        }

        func deallocate() {
            covariance.deallocate()
            cholesky.deallocate()
            factor.deallocate()
            normals.deallocate()
            potentials.deallocate()
            spikes.deallocate()
            words.deallocate()
            potentialSums.deallocate()
            counts.deallocate()
        }
    }

    /// Samples the `width` neurons of a layer block by block. Each branch passes a reset rule known at compile time,
    /// so the inlined scan has no switch on it.
    @inline(__always)
    static func sampleLayer(width: Int, update: LIFUpdate, rng: inout Xoshiro256StarStar, _ w: Workspace) {
        switch update.reset {
        case .subtract:
            let subtract = LIFUpdate(leak: update.leak, threshold: update.threshold, reset: .subtract)
            for start in stride(from: 0, to: width, by: blockWidth) {
                sampleBlock(width: min(blockWidth, width - start), update: subtract, rng: &rng, w)
            }
        case .zero:
            let zero = LIFUpdate(leak: update.leak, threshold: update.threshold, reset: .zero)
            for start in stride(from: 0, to: width, by: blockWidth) {
                sampleBlock(width: min(blockWidth, width - start), update: zero, rng: &rng, w)
            }
        }
    }

    /// Samples `width` (at most `blockWidth`) neurons of a layer from the factor in `workspace` and adds their
    /// potential sums and overlaps to the workspace's.
    ///
    /// Neurons go eight to a lane group, with time outermost: at step t, group g gets the currents
    /// sum_{k <= t} L(t, k) z_k of its eight neurons, then `LIFUpdate.step`. Lanes past `width` get zero normals, so
    /// they stay at u = 0 and never spike (theta > 0) and add nothing. The spike of lane j of group g at step t is
    /// bit g of the 32-bit word of lane j, so C(t, t') = sum popcount(B_t AND B_t') over the block's words.
    @inline(__always)
    static func sampleBlock(width: Int, update: LIFUpdate, rng: inout Xoshiro256StarStar, _ w: Workspace) {
        let steps = w.steps
        let groups = (width + 7) / 8
        let stride = blockWidth / 8
        let Z = w.normals, U = w.potentials, S = w.spikes, L = w.factor
        Z.withMemoryRebound(to: Float.self, capacity: steps * blockWidth) { z in
            if width == blockWidth {
                rng.fillNormal(z, count: steps * blockWidth, scale: 1)
                return
            }
            for k in 0..<steps {
                let row = z + k * blockWidth
                rng.fillNormal(row, count: width, scale: 1)
                for j in width..<(8 * groups) { row[j] = 0 }
            }
        }
        U.initialize(repeating: .zero, count: groups)
        S.initialize(repeating: .zero, count: groups)
        for t in 0..<steps {
            let row = L + t * steps
            var sum = SIMD8<Float>(), squares = SIMD8<Float>()
            var bits = SIMD8<UInt32>()
            // The LIF update of group g from its currents, and its share of the sums and spike words.
            @inline(__always) func advance(group g: Int, current: SIMD8<Float>) {
                let (u, s) = update.step(potential: U[g], spike: S[g], current: current)
                U[g] = u
                S[g] = s
                sum += u
                squares += u * u
                bits.replace(with: bits | SIMD8<UInt32>(repeating: 1 << UInt32(g)), where: s .> 0)
            }
            // Two groups at a time: their independent sums over k overlap in the pipeline.
            var g = 0
            while g &+ 1 < groups {
                let first = SIMD8(lowHalf: row[0], highHalf: row[0])
                var current0 = first * Z[g], current1 = first * Z[g &+ 1]
                var k = 1
                while k <= t {
                    let factor = SIMD8(lowHalf: row[k], highHalf: row[k]), z = Z + (k &* stride &+ g)
                    current0 += factor * z[0]
                    current1 += factor * z[1]
                    k &+= 1
                }
                advance(group: g, current: current0)
                advance(group: g &+ 1, current: current1)
                g &+= 2
            }
            if g < groups {
                var current = SIMD8(lowHalf: row[0], highHalf: row[0]) * Z[g]
                for k in 1..<(t + 1) { current += SIMD8(lowHalf: row[k], highHalf: row[k]) * Z[k &* stride &+ g] }
                advance(group: g, current: current)
            }
            w.potentialSums[t] += Double(sum.sum())
            w.potentialSums[steps + t] += Double(squares.sum())
            for i in 0..<4 { w.words[4 * t + i] = UInt64(bits[2 * i]) | UInt64(bits[2 * i + 1]) << 32 }
        }
        addOverlap(w.words, wordsPerStep: 4, steps: steps, to: w.counts)
    }

    /// C(t, t') += popcount(B_t AND B_t') for spike bitsets B_t of `wordsPerStep` words per step (step-major).
    @inline(__always)
    static func addOverlap(_ words: UnsafePointer<UInt64>, wordsPerStep: Int, steps: Int,
                           to counts: UnsafeMutablePointer<Int>) {
        for t in 0..<steps {
            let a = words + t * wordsPerStep
            for tPrime in 0...t {
                let b = words + tPrime * wordsPerStep
                var shared = 0
                for i in 0..<wordsPerStep { shared += (a[i] & b[i]).nonzeroBitCount }
                counts[t * steps + tPrime] += shared
                if tPrime != t { counts[tPrime * steps + t] += shared }
            }
        }
    }
}
