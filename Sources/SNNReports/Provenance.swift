import SNNModel
import SNNFormats
import SNNTheory

/// The version every report and `--version` give.
public enum ToolVersion {
    public static let current = "0.1.0"
}

/// Provenance fields several commands share.
enum Provenance {
    /// The update conventions of a neuron with this reset (the leak and threshold are reported separately).
    static func conventions(reset: String) -> String {
        guard let r = Reset(rawValue: reset), let neuron = try? NeuronModel(threshold: 1, leak: 1, reset: r) else { return "" }
        return neuron.conventions
    }

    /// The first time step from a zero potential, where leak and reset do not enter.
    static let firstStepConventions = "first time step from u[0] = 0: u[1] = W s_in[1]; spike if u[1] > theta"

    /// The multi-step theory's numerical settings, so a result file alone reproduces the run.
    static func temporalFields(_ settings: TemporalKernelSettings?, steps: Int) -> [(String, JSON)] {
        guard let settings, steps > 1 else { return [] }
        return [
            ("multi_step_method", .string(steps <= 2 && settings.method != .quasiMonteCarlo ? "quadrature" : "qmc")),
            ("qmc_points", .integer(settings.points)), ("qmc_replicates", .integer(settings.replicates)),
            ("seed", .integer(Int(truncatingIfNeeded: settings.seed))),
        ]
    }
}
