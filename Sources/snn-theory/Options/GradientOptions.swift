import ArgumentParser
import SNNModel
import SNNSimulator

extension ResetGradient: ChoiceOption {
    static let optionName = "reset-grad", allowedNames = "detached or attached"
}

/// `simulate --gradients`: the backward pass and its settings.
struct GradientOptions: ParsableArguments {
    @Flag(help: "Also backpropagate L = sum_t g^T s_L[t] (g a fixed standard-normal readout) through time and report per-layer gradient variances.")
    var gradients = false

    @Option(help: ArgumentHelp("With --gradients: the surrogate h(u - theta), \(Surrogate.allowedSpelling) (default atan:2).",
                               valueName: "name[:scale]"))
    var surrogate: String?

    @Option(name: .customLong("reset-grad"),
            help: "With --gradients: whether the reset's spike is differentiated, detached (snnTorch's default) or attached.")
    var resetGradient: ResetGradient?

    /// The backward pass needs the full simulator's weights and keeps no resume records.
    func validate(_ simulation: SimulationOptions, writesRecords: Bool) throws {
        guard gradients else {
            if surrogate != nil || resetGradient != nil {
                throw ModelError.invalid(parameter: surrogate != nil ? "surrogate" : "reset-grad",
                                         value: surrogate ?? resetGradient?.rawValue ?? "",
                                         allowed: "only together with --gradients")
            }
            return
        }
        _ = try Surrogate(parsing: surrogate ?? "atan")
        if simulation.reduced {
            throw ModelError.invalid(parameter: "method", value: "reduced",
                                     allowed: "full with --gradients (the backward pass needs the weight matrices)")
        }
        if writesRecords {
            throw ModelError.invalid(parameter: "gradients", value: "with --output or --resume",
                                     allowed: "--gradients without --output and --resume (the records hold no gradients)")
        }
    }

    /// The run with gradients, nil without --gradients.
    func configuration(_ simulation: SimulationConfiguration) throws -> GradientConfiguration? {
        guard gradients else { return nil }
        do {
            return try GradientConfiguration(simulation: simulation, surrogate: Surrogate(parsing: surrogate ?? "atan"),
                                             resetGradient: resetGradient ?? .detached)
        } catch let error as SimulationError {
            throw CommandFailure(message: "memory: " + error.description)
        }
    }
}
