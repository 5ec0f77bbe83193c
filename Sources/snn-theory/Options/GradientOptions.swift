import ArgumentParser
import SNNModel
import SNNSimulator
import SNNTheory

extension ResetGradient: ChoiceOption {
    static let optionName = "reset-grad", allowedNames = "detached or attached"
}

/// What `predict --gradients --solve` solves for (THEORY.md section 10).
enum GradientSolve: String, CaseIterable, ChoiceOption {
    static let optionName = "solve", allowedNames = "surrogate or both"
    /// The surrogate's scale holding Var[delta_1] = Var[delta_L] under the chosen initialization.
    case surrogate
    /// The paper's weights holding Var[u] at --target-variance, and the surrogate's scale holding the gradient there.
    case both
}

/// `simulate --gradients` and `predict --gradients`: the backward pass and its settings.
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

    /// `predict`: --surrogate and --reset-grad only with --gradients, a surrogate that parses, no NIR graph; --solve
    /// only with --gradients and a surrogate with a scale, and --solve both only with the paper's initialization.
    func validatePredict(solve: GradientSolve?, nir: Bool, inits: [InitScheme]) throws {
        guard gradients else {
            if surrogate != nil || resetGradient != nil || solve != nil {
                throw ModelError.invalid(parameter: surrogate != nil ? "surrogate" : resetGradient != nil ? "reset-grad" : "solve",
                                         value: surrogate ?? resetGradient?.rawValue ?? solve?.rawValue ?? "",
                                         allowed: "only together with --gradients")
            }
            return
        }
        let parsed = try Surrogate(parsing: surrogate ?? "atan")
        if nir {
            throw ModelError.invalid(parameter: "gradients", value: "with --nir",
                                     allowed: "--gradients for the i.i.d. networks of --depth/--width (not yet for a NIR graph)")
        }
        if solve != nil, parsed.kind == .straightThrough {
            throw ModelError.invalid(parameter: "surrogate", value: parsed.description,
                                     allowed: "a surrogate with a scale for --solve (straight_through has none)")
        }
        if solve == .both, inits != [.paper] {
            throw ModelError.invalid(parameter: "init", value: inits.map(\.description).joined(separator: ","),
                                     allowed: "paper (or leave out --init) with --solve both, which sets the paper's weights "
                                         + "at --target-variance")
        }
    }

    /// The surrogate, `atan` (alpha 2) unless given.
    func parsedSurrogate() throws -> Surrogate { try Surrogate(parsing: surrogate ?? "atan") }

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
