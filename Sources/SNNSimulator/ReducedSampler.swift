import Dispatch
import Foundation
import SNNModel

/// The exact reduced sampler of THEORY.md section 5, for several time steps at finite width.
///
/// For one input and iid Gaussian weights N(0, Var[w_l]), the currents of layer l given the spikes of layer l-1 are
/// independent across neurons, each a T-vector N(0, Var[w_l] C_{l-1}) with the overlap matrix
/// C_{l-1}(t, t') = sum_i s_i[t] s_i[t'] of the previous layer (for a constant analog input x: C_0 = |x|^2 everywhere).
/// So a network's statistics for one input can be sampled exactly without a weight matrix: draw n_l current vectors
/// L z (L L^T = Var[w_l] C_{l-1}), run the LIF update of `LIFUpdate` on each, and accumulate C_l. Work per layer is
/// O(n_l T^2) instead of the full simulator's O(n_{l-1} n_l T).
///
/// Exact for Gaussian weights and batch 1 (uniform weights have other current laws at finite fan-in).
/// The result has the shape of `Simulator.run`'s with `batch` = 1, so every report and test handles both alike.
public enum ReducedSampler {
    /// Samples every network; `completed`, `progress` and `onNetwork` as in `Simulator.run`.
    public static func run(_ configuration: SimulationConfiguration, completed: [NetworkRecord] = [],
                           progress: (@Sendable (_ finished: Int, _ total: Int) -> Void)? = nil,
                           onNetwork: (@Sendable (NetworkRecord) -> Void)? = nil) -> SimulationStatistics
    {
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

    /// The bytes `run` plans to allocate, saturating at `Int.max`: per concurrent network the overlap matrices and the
    /// Cholesky factor (3 T^2 doubles) and a block of normals (256 T floats); plus the kept results, per network,
    /// layer and step the mean, variance and rate, and once more as the summary's per-network lists (48 bytes x R x
    /// L x T). No weight matrix: the width enters the work, O(n T^2) per layer, not the memory.
    public static func estimatedBytes(_ c: SimulationConfiguration) -> Int {
        let steps = Double(c.steps)
        let perNetwork = 24 * steps * steps + 4 * 256 * steps + 64 * steps
        let results = 48 * Double(c.networks) * Double(c.architecture.depth) * steps
            + Double(c.networks) * Double(c.architecture.depth)
        let total = perNetwork * Double(min(c.threads, c.networks)) + results
        return total >= Double(Int.max) ? .max : Int(total)
    }

    static func sampleNetwork(_ r: Int, _ c: SimulationConfiguration, _ results: NetworkResults) {
        let steps = c.steps, depth = c.architecture.depth
        var rng = Xoshiro256StarStar(seed: c.seed, network: r, layer: 0, block: 1 << 20)
        var overlap = [Double](repeating: 0, count: steps * steps)
        let n0 = c.architecture.widths[0]
        switch c.input {
        case let .bernoulli(p):
            let threshold = Xoshiro256StarStar.bernoulliThreshold(probability: p)
            var active = [Int](repeating: 0, count: steps)
            for _ in 0..<n0 {
                var count = 0
                for t in 0..<steps where rng.nextBernoulli(threshold53: threshold) {
                    active[count] = t
                    count += 1
                }
                accumulate(&overlap, active, count, steps)
            }
        case let .gaussian(s):
            var x = [Float](repeating: 0, count: n0)
            x.withUnsafeMutableBufferPointer { rng.fillNormal($0.baseAddress!, count: n0, scale: Float(s)) }
            let squared = x.reduce(0.0) { $0 + Double($1) * Double($1) }
            for i in 0..<overlap.count { overlap[i] = squared }
        }
        let update = LIFUpdate(c.neuron)
        var z = [Float](repeating: 0, count: steps * 256)
        var active = [Int](repeating: 0, count: steps)
        var silentAbove = false
        for l in 1...depth {
            let n = c.architecture.width(layer: l)
            let offset = (r * depth + (l - 1)) * steps
            if silentAbove {
                results.silent[r * depth + l - 1] = true
                continue
            }
            let factor = choleskyFactor(overlap.map { $0 * c.weightVariances[l - 1] }, steps)
            var next = [Double](repeating: 0, count: steps * steps)
            var uSum = [Double](repeating: 0, count: steps), u2Sum = [Double](repeating: 0, count: steps)
            var spikeCount = [Double](repeating: 0, count: steps)
            var layerRng = Xoshiro256StarStar(seed: c.seed, network: r, layer: l, block: 1 << 20)
            var done = 0
            factor.withUnsafeBufferPointer { lp in
            z.withUnsafeMutableBufferPointer { zp in
            next.withUnsafeMutableBufferPointer { cp in
            active.withUnsafeMutableBufferPointer { ap in
            uSum.withUnsafeMutableBufferPointer { us in
            u2Sum.withUnsafeMutableBufferPointer { u2s in
            spikeCount.withUnsafeMutableBufferPointer { sc in
                let L = lp.baseAddress!, Z = zp.baseAddress!, C = cp.baseAddress!, A = ap.baseAddress!
                while done < n {
                    let block = min(256, n - done)
                    layerRng.fillNormal(Z, count: block * steps, scale: 1)
                    for j in 0..<block {
                        let zj = Z + j * steps
                        var u: Float = 0, s: Float = 0, count = 0
                        for t in 0..<steps {
                            let row = L + t * steps
                            var current = 0.0
                            for k in 0...t { current += row[k] * Double(zj[k]) }
                            (u, s) = update.step(potential: u, spike: s, current: Float(current))
                            let ud = Double(u)
                            us[t] += ud
                            u2s[t] += ud * ud
                            if s > 0 {
                                sc[t] += 1
                                A[count] = t
                                count += 1
                            }
                        }
                        for a in 0..<count {
                            let rowStart = A[a] * steps
                            for b in 0..<count { C[rowStart + A[b]] += 1 }
                        }
                    }
                    done += block
                }
            }
            }
            }
            }
            }
            }
            }
            let nd = Double(n)
            for t in 0..<steps {
                let mean = uSum[t] / nd
                results.means[offset + t] = mean
                // Unbiased over the layer's entries, as the full simulator reports it (divisor n - 1; 0 for n = 1).
                results.variances[offset + t] = n > 1 ? max(u2Sum[t] - nd * mean * mean, 0) / (nd - 1) : 0
                results.rates[offset + t] = spikeCount[t] / nd
            }
            silentAbove = spikeCount.allSatisfy { $0 == 0 }
            results.silent[r * depth + l - 1] = silentAbove
            overlap = next
        }
    }

    /// C += s s^T for an input neuron whose spikes are at the first `count` entries of `active`.
    @inline(__always)
    static func accumulate(_ matrix: inout [Double], _ active: [Int], _ count: Int, _ steps: Int) {
        for a in 0..<count {
            for b in 0..<count { matrix[active[a] * steps + active[b]] += 1 }
        }
    }

    /// Lower-triangular L with L L^T = A for a positive semi-definite A: a pivot below 1e-12 of its diagonal entry is
    /// an exact zero (an overlap matrix of integers is often singular: equal spike trains, silent steps).
    static func choleskyFactor(_ a: [Double], _ n: Int) -> [Double] {
        var l = [Double](repeating: 0, count: n * n)
        for j in 0..<n {
            var d = a[j * n + j]
            for k in 0..<j { d -= l[j * n + k] * l[j * n + k] }
            if d <= 1e-12 * a[j * n + j] || d <= 0 { continue }
            let pivot = d.squareRoot()
            l[j * n + j] = pivot
            for i in (j + 1)..<n {
                var s = a[i * n + j]
                for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
                l[i * n + j] = s / pivot
            }
        }
        return l
    }
}
