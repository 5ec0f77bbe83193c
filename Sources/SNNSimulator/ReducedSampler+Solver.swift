import Dispatch
import Foundation
import SNNModel

/// Per-layer weight scales that hold an expected spike rate at the configuration's own widths: stochastic root
/// finding on the exact reduced sampler.
///
/// The multi-step theory's solver holds the rate of infinitely wide layers; at finite width the rate of a real
/// network drifts away from it with depth (the spread of the active counts feeds back through the threshold). This
/// solver works on R sampled networks instead. Layer by layer, it finds Var[w_l] such that the mean over the R
/// networks of the targeted rate of layer l (at t = 1, averaged over t = 1..T, or at t = T) equals the target, then
/// fixes that layer of every network and goes on. Each evaluation re-samples layer l of the R networks from the same
/// streams, so the sample mean is a deterministic function of Var[w_l] (common random numbers): a step function
/// with steps of 1 / (R n_l T), increasing in practice, whose crossing of the target the Illinois variant of regula
/// falsi finds on log Var[w_l] in a few evaluations.
///
/// What it estimates: the sample mean equals the target at every layer by construction; the expected rate of a
/// fresh network at the solved scales differs from the target by about the standard error sd / sqrt(R) of the
/// per-network rates (check it with an independent run, as `simulate --solve-on sampler` does). The streams are
/// (seed, network, layer, 2^20 + 1): not those of `ReducedSampler.run` (block 2^20) nor, for fan-ins up to 2^20, the
/// full simulator's (block j for the weights from input j), so networks simulated at the solved scales are
/// independent of the solver's.
extension ReducedSampler {
    public struct SampledSolution: Sendable {
        /// Var[w_l] per layer (index 0 = layer 1).
        public let weightVariances: [Double]
        /// The solver networks' mean targeted rate at each layer at the solved scale.
        public let achieved: [Double]
        /// The sampler passes over the R networks each layer took.
        public let evaluations: [Int]
    }

    public struct SolverFailure: Error, CustomStringConvertible, Equatable {
        public let layer: Int
        public let detail: String

        public var description: String {
            "target-rate: no weight scale reaches the target at layer \(layer) of the sampled networks: \(detail)"
        }
    }

    /// The bytes `solveWeightVariances` plans to allocate, saturating at `Int.max`: per solver network an overlap
    /// matrix (T^2 doubles) and the sampled layer's (T^2 integers), and per thread a workspace.
    public static func solverEstimatedBytes(_ c: SimulationConfiguration) -> Int {
        let steps = Double(c.steps)
        let total = Double(c.networks) * 16 * steps * steps
            + Double(min(c.threads, c.networks)) * workspaceBytes(steps: steps)
        return total >= Double(Int.max) ? .max : Int(total)
    }

    /// The solver's run of `guess`'s network: Gaussian weights, one input per network, and no memory limit (its need
    /// is `solverEstimatedBytes`, not the simulator's).
    public static func solverConfiguration(_ guess: Network, networks: Int, seed: UInt64, threads: Int) throws
        -> SimulationConfiguration
    {
        try SimulationConfiguration(network: guess.initialized(guess.initialization, weightDistribution: .gaussian),
                                    batch: 1, networks: networks, seed: seed, threads: threads, memoryLimit: .max)
    }

    /// The sampler solver's cost: per pass over the R networks, about 1.9 ns x (T + T (T + 1) / 40) per neuron on two
    /// cores (normals and LIF steps, then the current products L z; measured at T = 4, 20 and 64), about 4 passes per
    /// layer (4.1 at width 1000, T = 20; 6 assumed). The limit keeps a run under 10 minutes.
    public static let solverPassesPerLayer = 6.0
    public static let solverWorkPerSecond = 5e8
    public static let solverMinutesLimit = 10.0

    /// The estimated minutes of `solveWeightVariances` on `networks` networks of `architecture` over `steps` steps.
    public static func solverMinutes(architecture: Architecture, steps: Int, networks: Int) -> Double {
        let steps = Double(steps)
        let neurons = (1...architecture.depth).reduce(0.0) { $0 + Double(architecture.width(layer: $1)) }
        let work = Double(networks) * neurons * (steps + steps * (steps + 1) / 40) * solverPassesPerLayer
        return work / solverWorkPerSecond / 60
    }

    /// The solver's stream block, distinct from `stream`.
    static let solverStream = stream + 1

    /// Solves layer by layer for `targetRate` over `horizon`, with `c.networks` networks of `c`'s widths, neuron,
    /// input, steps and seed, on `c.threads` threads. `c.weightVariances` are the starting guesses (layer 1's is
    /// used, then each solved scale starts the next layer). `progress` gets (layers solved, depth).
    /// Throws `SolverFailure` when no scale reaches the target within a factor 2^40 of the guess, every sampled
    /// network is silent, or the target is below 10 spikes among the layer's sampled neuron-steps.
    public static func solveWeightVariances(_ c: SimulationConfiguration, targetRate: Double, horizon: SolverHorizon,
                                            progress: (@Sendable (_ solved: Int, _ depth: Int) -> Void)? = nil)
        throws -> SampledSolution
    {
        let depth = c.architecture.depth
        let state = SolverState(c)
        defer { state.deallocate() }
        var variances: [Double] = [], achieved: [Double] = [], evaluations: [Int] = []
        var guess = c.weightVariances[0]
        for l in 1...depth {
            // The sampled mean rate moves in steps of one spike among R n_l (T) neuron-steps: ask for ten at least.
            let entries = Double(c.networks) * Double(c.architecture.width(layer: l))
                * (horizon == .timeAveraged ? Double(c.steps) : 1)
            guard targetRate * entries >= 10 else {
                throw SolverFailure(layer: l, detail: "the target is below 10 spikes among the \(Int(entries)) "
                    + "neuron-steps the solver's networks have there; use more solver networks")
            }
            guard (0..<c.networks).contains(where: { !state.silent[$0] }) else {
                throw SolverFailure(layer: l, detail: "every one of the \(c.networks) networks is silent below it")
            }
            var count = 0
            let rate = { (logVariance: Double) -> Double in
                count += 1
                return state.sample(layer: l, variance: exp(logVariance), horizon: horizon)
            }
            let solved = exp(try findCrossing(rate, target: targetRate, from: log(guess), layer: l))
            // The layer must hold its sample at the solved scale; often the root finder sampled it last.
            if state.lastSampled?.variance != solved {
                _ = state.sample(layer: l, variance: solved, horizon: horizon)
                count += 1
            }
            variances.append(solved)
            achieved.append(state.lastSampled!.rate)
            evaluations.append(count)
            state.advance()
            guess = solved
            progress?(l, depth)
        }
        return SampledSolution(weightVariances: variances, achieved: achieved, evaluations: evaluations)
    }

    /// x with f(x) = target for a nondecreasing step function f: a bracket from `start` by steps of log 2 (at most
    /// 40 of them), then Illinois regula falsi until |f - target| <= 1e-4 target or the bracket is narrower than
    /// 1e-9. Returns the best point seen.
    static func findCrossing(_ f: (Double) -> Double, target: Double, from start: Double, layer: Int) throws -> Double {
        var a = start, fa = f(a) - target
        if fa == 0 { return a }
        let direction = fa < 0 ? log(2.0) : -log(2.0)
        var b = a + direction, fb = f(b) - target
        var expansions = 1
        while (fa < 0) == (fb < 0), fb != 0 {
            guard expansions < 40 else {
                let side = fb < 0 ? "below" : "above"
                let number = { (x: Double) in String(format: "%.3g", x) }
                // The target as given (up to 6 digits): at 3 digits a target of 0.9999 would read "below 1".
                let given = String(format: "%g", target)
                throw SolverFailure(layer: layer, detail: "the mean rate stays \(side) \(given) for Var[w] from "
                    + "\(number(exp(start))) to \(number(exp(b))) (it reaches \(number(fb + target)))")
            }
            (a, fa) = (b, fb)
            b += direction
            fb = f(b) - target
            expansions += 1
        }
        var best = abs(fa) < abs(fb) ? (a, fa) : (b, fb)
        var side = 0
        for _ in 0..<200 {
            if abs(best.1) <= 1e-4 * target || abs(b - a) < 1e-9 { break }
            let x = (a * fb - b * fa) / (fb - fa)
            let fx = f(x) - target
            if abs(fx) < abs(best.1) { best = (x, fx) }
            if fx == 0 { break }
            if (fx < 0) == (fb < 0) {
                (b, fb) = (x, fx)
                if side == -1 { fa /= 2 }
                side = -1
            } else {
                (a, fa) = (x, fx)
                if side == 1 { fb /= 2 }
                side = 1
            }
        }
        return best.0
    }

    /// The solver's R networks: per network the overlap matrix of its last fixed layer and whether that layer was
    /// silent, and the overlap matrix of the layer last sampled.
    final class SolverState: @unchecked Sendable {
        let c: SimulationConfiguration
        let update: LIFUpdate
        var overlaps: [[Double]]
        var silent: [Bool]
        /// Per network, the sampled layer's overlap matrix C(t, t') (row-major T x T), written by `sample`.
        let counts: UnsafeMutableBufferPointer<Int>
        /// The variance `counts` were sampled at, and their mean rate.
        private(set) var lastSampled: (variance: Double, rate: Double)?

        init(_ c: SimulationConfiguration) {
            self.c = c
            update = LIFUpdate(c.neuron)
            let steps = c.steps
            counts = .allocate(capacity: c.networks * steps * steps)
            counts.initialize(repeating: 0)
            silent = Array(repeating: false, count: c.networks)
            let workspace = Workspace(steps: steps)
            defer { workspace.deallocate() }
            overlaps = (0..<c.networks).map { r in
                var overlap = [Double](repeating: 0, count: steps * steps)
                ReducedSampler.inputOverlap(network: r, c, stream: ReducedSampler.solverStream, workspace,
                                            into: &overlap)
                return overlap
            }
        }

        func deallocate() { counts.deallocate() }

        /// Samples layer l of every network at `variance` (silent networks stay silent) and returns the mean over
        /// networks, in network order, of the rate over `horizon`.
        func sample(layer l: Int, variance: Double, horizon: SolverHorizon) -> Double {
            let steps = c.steps, n = c.architecture.width(layer: l), networks = c.networks
            let queue = WorkQueue(count: networks)
            DispatchQueue.concurrentPerform(iterations: max(1, min(c.threads, networks))) { _ in
                let workspace = Workspace(steps: steps)
                defer { workspace.deallocate() }
                while let r = queue.take() {
                    let out = counts.baseAddress! + r * steps * steps
                    if silent[r] {
                        out.initialize(repeating: 0, count: steps * steps)
                        continue
                    }
                    ReducedSampler.sampleLayer(l, network: r, width: n, variance: variance, overlap: overlaps[r],
                                               update: update, seed: c.seed, stream: ReducedSampler.solverStream,
                                               workspace)
                    out.update(from: workspace.counts, count: steps * steps)
                }
            }
            let spikesPerNetwork = (0..<networks).map { r -> Double in
                let base = r * steps * steps
                switch horizon {
                case .firstStep: return Double(counts[base])
                case .finalStep: return Double(counts[base + (steps - 1) * (steps + 1)])
                case .timeAveraged:
                    return (0..<steps).reduce(0.0) { $0 + Double(counts[base + $1 * (steps + 1)]) } / Double(steps)
                }
            }
            let rate = spikesPerNetwork.reduce(0, +) / (Double(n) * Double(networks))
            lastSampled = (variance, rate)
            return rate
        }

        /// Fixes the layer last sampled: its overlap matrices feed the next layer.
        func advance() {
            lastSampled = nil
            let steps = c.steps
            for r in 0..<c.networks where !silent[r] {
                let base = r * steps * steps
                for i in 0..<steps * steps { overlaps[r][i] = Double(counts[base + i]) }
                silent[r] = (0..<steps).allSatisfy { counts[base + $0 * (steps + 1)] == 0 }
            }
        }
    }
}
