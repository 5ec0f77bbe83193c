import Dispatch
import Foundation
import SNNModel

/// The empirical side: simulates R independent feed-forward LIF networks (THEORY.md section 1) and streams
/// per-layer, per-step statistics of the membrane potential and the spikes, never keeping all potentials.
///
/// For each network, layer by layer:
/// 1. draw W_l (n_l x n_{l-1}, Float32, column-major) column by column, column j from its own stream
///    (seed, network, layer l, block j), so a weight never depends on threads or on which other columns are drawn;
/// 2. compute the currents of all B x T input columns at once, I_l = W_l S_{l-1}, since the same W_l serves every
///    time step and batch item, in Float32, in one fixed order of additions whatever the CPU: for spike inputs as
///    sums of the weight columns of the inputs that spiked, for an analog input as sums of products over all inputs
///    (no BLAS, whose kernels round differently from one CPU to the next; `NetworkWorkspace.simulateLayer`);
/// 3. scan time per neuron and batch item with `LIFUpdate.step`, writing the spikes S_l for the next layer and
///    accumulating, per (step, batch item, tile of neurons), the sum and sum of squares of u_l[t] in Double and the
///    spike count; these partial sums are merged in a fixed order (Chan et al.'s pairwise update for the variance).
///
/// Work that cannot change the result is skipped: inputs j that never spike (over all steps and batch items) leave
/// out column j of W_l from both the draw and the product, and once a layer is silent every later layer has zero
/// currents, zero potentials and no spikes, which is recorded without computing it. (Skipping changes only which
/// terms the Float32 products add, never the draws; the result is the same for every thread count.)
///
/// Determinism: every random draw comes from a stream keyed by (seed, network, layer, block); the work is split
/// into pieces that do not depend on the thread count (networks; columns of W_l; tiles of `rowsPerTile` neurons,
/// each with its currents over all columns and its own scan); every current is summed in one fixed order by one
/// thread; partial statistics are merged in a fixed order. So a seed gives the same bits on every CPU, vector width
/// and thread count. Parallelism comes from the simulator's own workers: across networks first, then across the
/// pieces of one network.
public enum Simulator {
    /// Neurons per tile: the currents over all columns and one scan per tile. A fixed size, a multiple of the
    /// 32-neuron panel, so work items do not depend on the thread count.
    static let rowsPerTile = 128
    /// Columns of W_l drawn per work item.
    static let weightColumnsPerItem = 32
    /// n_l rounded up to whole panels of 32 neurons (the sparse route's weight layout).
    static func paddedWidth(_ width: Int) -> Int { (width + 31) / 32 * 32 }

    /// Runs the simulation. `progress` is called after each network with (networks finished, R) and `onNetwork` with
    /// each finished network's record, both from worker threads and possibly concurrently (the counts in order of
    /// finishing, the calls not necessarily), so both must be thread-safe. The networks in `completed` (from an earlier, interrupted run) are taken as they are.
    public static func run(_ configuration: SimulationConfiguration, completed: [NetworkRecord] = [],
                           progress: (@Sendable (_ finished: Int, _ total: Int) -> Void)? = nil,
                           onNetwork: (@Sendable (NetworkRecord) -> Void)? = nil) -> SimulationStatistics {
        let c = configuration
        let depth = c.architecture.depth
        let perNetwork = depth * c.steps
        let (results, computed, seconds) = NetworkLoop.run(
            c, workers: c.concurrentNetworks, completed: completed, progress: progress, onNetwork: onNetwork
        ) {
            let workspace = NetworkWorkspace(configuration: c)
            return { r, results in
                workspace.simulate(network: r, into: results, offset: r * perNetwork, silentOffset: r * depth)
            }
        }
        return SimulationStatistics(
            configuration: c,
            layers: results.summarize(),
            synapticEvents: c.synapticEvents * Double(computed) / Double(c.networks),
            elapsedSeconds: seconds)
    }
}

/// Hands out the indices 0..<count to workers, one at a time, and counts finished items.
final class WorkQueue: @unchecked Sendable {
    private let lock = NSLock()
    private let count: Int
    private var next = 0
    private var finished = 0

    init(count: Int) { self.count = count }

    func take() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < count else { return nil }
        next += 1
        return next - 1
    }

    /// Marks one item finished; returns how many are.
    func finish() -> Int {
        lock.lock()
        defer { lock.unlock() }
        finished += 1
        return finished
    }
}

/// Runs `body(i)` for i in 0..<count on up to `threads` workers. The caller makes each item independent.
func parallelFor(_ count: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
    parallelFor(count, threads: threads) { _, i in body(i) }
}

/// Runs `body(worker, i)` for i in 0..<count on up to `threads` workers, numbered 0..<min(threads, count): no two
/// items run at once on the same worker number, so a worker's scratch may be indexed by it.
func parallelFor(_ count: Int, threads: Int, _ body: @Sendable (_ worker: Int, _ item: Int) -> Void) {
    if threads <= 1 || count <= 1 {
        for i in 0..<count { body(0, i) }
        return
    }
    let queue = WorkQueue(count: count)
    DispatchQueue.concurrentPerform(iterations: min(threads, count)) { worker in
        while let i = queue.take() { body(worker, i) }
    }
}

/// Per-network values, indexed [network][layer][step] flat; each network writes only its own slice.
final class NetworkResults: @unchecked Sendable {
    let networks: Int, layers: Int, steps: Int
    let means: UnsafeMutableBufferPointer<Double>
    let variances: UnsafeMutableBufferPointer<Double>
    let rates: UnsafeMutableBufferPointer<Double>
    let silent: UnsafeMutableBufferPointer<Bool>

    init(networks: Int, layers: Int, steps: Int) {
        self.networks = networks
        self.layers = layers
        self.steps = steps
        let n = networks * layers * steps
        means = .allocate(capacity: n)
        variances = .allocate(capacity: n)
        rates = .allocate(capacity: n)
        silent = .allocate(capacity: networks * layers)
        means.initialize(repeating: 0)
        variances.initialize(repeating: 0)
        rates.initialize(repeating: 0)
        silent.initialize(repeating: false)
    }

    deinit {
        means.deallocate()
        variances.deallocate()
        rates.deallocate()
        silent.deallocate()
    }

    func summarize() -> [LayerStatistics] {
        let r = Double(networks)
        return (0..<layers).map { l in
            let steps = (0..<self.steps).map { t in
                let index = (0..<networks).map { ($0 * layers + l) * self.steps + t }
                let m = index.map { means[$0] }, v = index.map { variances[$0] }, s = index.map { rates[$0] }
                return StepStatistics(step: t + 1, membraneMean: Estimate(samples: m),
                                      membraneVariance: Estimate(samples: v), rate: Estimate(samples: s),
                                      networkMembraneMeans: m, networkMembraneVariances: v, networkRates: s)
            }
            let silentCount = (0..<networks).reduce(0) { $0 + (silent[$1 * layers + l] ? 1 : 0) }
            let p = Double(silentCount) / r
            return LayerStatistics(layer: l + 1, steps: steps, silentNetworks: silentCount, silentFraction: p,
                                   silentFractionStandardError: networks > 1 ? (p * (1 - p) / r).squareRoot() : nil)
        }
    }
}
