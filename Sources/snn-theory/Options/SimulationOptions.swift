import ArgumentParser
import Foundation
import SNNFormats
import SNNModel
import SNNSimulator
import SNNVerification

/// Where `simulate --target-rate` solves its scales.
enum SolveOn: String, ChoiceOption {
    case theory, sampler
    static let optionName = "solve-on", allowedNames = "theory or sampler"
}

/// Options of a simulation run shared by `simulate` and `compare`.
struct SimulationOptions: ParsableArguments {
    @Option(help: "Independent inputs per network, sharing its weights (B >= 1; default 16, or 1 with --method reduced).")
    var batch: Int?

    @Option(help: "full: simulate the network with its weight matrices; reduced: the exact reduced sampler (Gaussian weights, one input per network, O(n T^2) per layer).")
    var method: SimulationMethod = .full

    var reduced: Bool { method == .reduced }
    var effectiveBatch: Int { batch ?? (reduced ? 1 : 16) }

    @Option(help: "Independent networks (weight draws) R >= 1; standard errors need R >= 2.")
    var networks: Int = 10

    @Option(help: "Seed of every random draw (weights and inputs).")
    var seed: UInt64 = 1

    @Option(help: "Worker threads (results do not depend on it).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Weight distribution: gaussian or uniform (default: the initialization's own, uniform for pytorch; gaussian for solved or loaded scales).")
    var weights: WeightDistribution?

    /// --weights, else `natural` (the scheme's own, or Gaussian for scales solved or loaded from a file), and
    /// Gaussian for the reduced sampler.
    func distribution(natural: WeightDistribution) -> WeightDistribution {
        weights ?? (reduced ? .gaussian : natural)
    }

    func validateAll() throws {
        if reduced, effectiveBatch != 1 {
            throw ModelError.invalid(parameter: "batch", value: "\(effectiveBatch)",
                                     allowed: "1 with --method reduced (the sampler is exact for one input per network)")
        }
        if reduced, weights == .uniform {
            throw ModelError.invalid(parameter: "weights", value: "uniform",
                                     allowed: "gaussian with --method reduced (exact for Gaussian weights only)")
        }
        guard effectiveBatch >= 1, effectiveBatch <= SimulationConfiguration.maximumBatch else {
            throw ModelError.invalid(parameter: "batch", value: "\(effectiveBatch)",
                                     allowed: "an integer from 1 to \(SimulationConfiguration.maximumBatch)")
        }
        guard networks >= 1, networks <= SimulationConfiguration.maximumNetworks else {
            throw ModelError.invalid(parameter: "networks", value: "\(networks)",
                                     allowed: "an integer from 1 to \(SimulationConfiguration.maximumNetworks)")
        }
        guard threads >= 1, threads <= SimulationConfiguration.maximumThreads else {
            throw ModelError.invalid(parameter: "threads", value: "\(threads)",
                                     allowed: "an integer from 1 to \(SimulationConfiguration.maximumThreads)")
        }
    }

    /// The run of `network` (its variances given per layer, its weight distribution chosen).
    func configuration(_ network: Network) throws -> SimulationConfiguration {
        let c: SimulationConfiguration
        do {
            c = try SimulationConfiguration(
                network: network, batch: effectiveBatch, networks: networks, seed: seed, threads: threads,
                // The reduced sampler never builds a weight matrix: its memory has its own estimate, checked below.
                memoryLimit: reduced ? .max : nil)
        } catch let error as SimulationError {
            throw CommandFailure(message: "memory: " + error.description)
        }
        if reduced { try Self.checkReducedMemory(bytes: ReducedSampler.estimatedBytes(c), networks: c.networks) }
        return c
    }

    /// The reduced sampler's memory guard: no weight matrix, but its kept results (48 bytes per network, layer and
    /// step) and per-thread buffers, against the same limit as the full simulator's (also for `compare`'s widest
    /// cell, estimated without a configuration).
    static func checkReducedMemory(bytes: Int, networks: Int) throws {
        try checkMemory(bytes, parameter: "networks", value: networks,
                        advice: "fewer networks, layers or steps with --method reduced: its results (48 bytes per "
                            + "network, layer and step) need")
    }

    /// Refuses `needed` bytes above the memory limit: "`advice` about X GB, more than the limit of Y GB".
    static func checkMemory(_ needed: Int, parameter: String, value: Int, advice: String) throws {
        let limit = SimulationConfiguration.defaultMemoryLimit
        guard needed <= limit else {
            throw ModelError.invalid(
                parameter: parameter, value: "\(value)",
                allowed: advice + " about \(Format.number(Double(needed) / 1e9, digits: 3)) GB, more than the limit of "
                    + "\(Format.number(Double(limit) / 1e9, digits: 3)) GB")
        }
    }
}
