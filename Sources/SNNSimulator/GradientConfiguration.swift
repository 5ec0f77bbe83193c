import SNNModel

/// A forward and backward run: the simulation, the surrogate h(x) that stands for dH(x)/dx at x = u - theta, and
/// whether the reset is differentiated. Validated once: the memory guard counts the forward pass's buffers and the
/// backward pass's (`estimatedBytes`) against the simulation's `memoryLimit`.
public struct GradientConfiguration: Sendable, Equatable {
    public let simulation: SimulationConfiguration
    public let surrogate: Surrogate
    public let resetGradient: ResetGradient

    /// Throws `SimulationError.insufficientMemory` when `estimatedBytes` exceeds `simulation.memoryLimit`.
    public init(simulation: SimulationConfiguration, surrogate: Surrogate, resetGradient: ResetGradient = .detached)
        throws
    {
        self.simulation = simulation
        self.surrogate = surrogate
        self.resetGradient = resetGradient
        let needed = estimatedBytes
        guard needed <= simulation.memoryLimit else {
            throw SimulationError.insufficientMemory(estimatedBytes: needed, limitBytes: simulation.memoryLimit)
        }
    }

    /// The bytes the run plans to allocate (`estimatedBytes(widths:steps:batch:networks:threads:)`).
    public var estimatedBytes: Int {
        let c = simulation
        return Self.estimatedBytes(widths: c.architecture.widths, steps: c.steps, batch: c.batch, networks: c.networks,
                                   threads: c.threads)
    }

    /// The forward pass's estimate (`SimulationConfiguration.estimatedBytes`) plus, per concurrent network
    /// (min(threads, networks)), 4 bytes per Float32 of: every layer's potentials kept for the backward pass
    /// (sum_l n_l x B T) and the input (n_0 x B T); the deltas of two layers (2 max_l n_l x B T); the activity of a
    /// layer's input with its lists of columns and their values (3 max_l n_{l-1} x B T); the largest W_l^T in panels of
    /// 32 columns (n_{l-1} rounded up to 32, x n_l); per-tile sums (16 bytes x tiles x B T) and per-item sums (16 x B);
    /// plus the kept results, 16 bytes per network, layer and (step + 3). Saturates at `Int.max`.
    public static func estimatedBytes(widths layerWidths: [Int], steps: Int, batch: Int, networks: Int,
                                      threads: Int) -> Int
    {
        let forward = SimulationConfiguration.estimatedBytes(widths: layerWidths, steps: steps, batch: batch,
                                                             networks: networks, threads: threads)
        let widths = layerWidths.map(Double.init)
        let columns = Double(batch) * Double(steps)
        let maxLayerWidth = widths.dropFirst().max()!, maxFanIn = widths.dropLast().max()!
        let transposed = (2..<max(2, widths.count)).map { Double(Simulator.paddedWidth(layerWidths[$0 - 1])) * widths[$0] }
            .max() ?? 0
        let tiles = (maxLayerWidth / Double(Simulator.rowsPerTile)).rounded(.up)
        let floats = widths.reduce(0, +) * columns + (2 * maxLayerWidth + 3 * maxFanIn) * columns + transposed
            + widths.last!
        let perNetwork = 4 * floats + 16 * tiles * columns + 16 * Double(batch) + 8 * (maxFanIn + 1) + 16 * tiles
        let results = 16 * Double(networks) * Double(widths.count - 1) * Double(steps + 3)
        let total = Double(forward) + perNetwork * Double(min(threads, networks)) + results
        return total >= Double(Int.max) ? .max : Int(total)
    }
}
