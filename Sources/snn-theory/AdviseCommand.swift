import ArgumentParser
import Foundation
import SNNModel
import SNNFormats
import SNNTheory

struct AdviseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "advise",
        abstract: "The target variance (weight scale) that keeps activity alive and stable to a depth, at a width.",
        discussion: """
        For the paper's initialization at a threshold: the smallest target variance sigma_t^2 whose fixed point is \
        stable (chi < 1, i.e. theta / sigma_t < 1.19060) and whose exact finite-width chain leaves at most \
        --tolerance of the networks silent at layer --depth, first time step (THEORY.md sections 3 and 5). The \
        recommendation keeps P(silent) under tolerance / --margin, rounded up to two significant figures, so that a \
        simulation of a few hundred networks does not land on the boundary; when no target variance up to \
        (theta / 0.1)^2 (mean-field rate 0.46) qualifies at that width, it says so with the numbers. With \
        --target-rate r it also checks the scale that holds rate r at the first step.

        With --steps T > 1 it adds, for the paper's default and the recommendation, the slope of the multi-step \
        kernel map K_{l-1} -> K_l at layer --depth: the growth per layer of the most unstable small deviation of \
        the T x T kernel, a numerical estimate with its error (central differences of size 5% and 10% of the \
        kernel, power iteration over 12 steps, common random numbers within each quasi-Monte Carlo replicate; \
        quadrature for T <= 2). At T = 1 it is chi. At an unstable fixed point it is measured at the first layer \
        that rounding has moved the recursion off it (a few dozen layers), not at a state rounding drove it to.

        Examples:
          snn-theory advise --theta 2 --depth 100 --width 1000
          snn-theory advise --theta 1.5 --target-rate 0.1 --format json
          snn-theory advise --theta 1 --steps 4 --beta 0.9
        """
    )

    @Option(help: "Firing threshold theta, in [1e-6, 1e6].")
    var theta: Double = 1

    @Option(help: "Depth L at which the silent probability is judged (2 to 10000).")
    var depth: Int = 100

    @Option(name: .customLong("target-rate"), help: "Also check the scale holding this first-step rate, in (0, 0.5).")
    var targetRate: Double?

    @Option(help: "Largest acceptable probability of a silent layer L, in (0, 1).")
    var tolerance: Double = 0.01

    @Option(help: "The recommendation keeps P(silent) under tolerance / margin (>= 1).")
    var margin: Double = 10

    @OptionGroup var network: StabilityOptions

    @Option(help: "Output: table or json.")
    var format: OutputFormat = .table

    func validate() throws {
        _ = try network.diagram(depth: depth, tolerance: tolerance)
        let neuron = try network.neuron(threshold: theta)
        // The paper's default (target variance 1), which the advice is set against, needs finite scales.
        _ = try WeightVariance.checked(.paper, architecture: Architecture(inputSize: network.width, width: network.width,
                                                                          depth: 2),
                                       neuron: neuron, input: network.input)
        guard margin.isFinite, margin >= 1 else {
            throw ModelError.invalid(parameter: "margin", value: "\(margin)", allowed: "a finite number >= 1")
        }
        if let targetRate, !(targetRate > 0 && targetRate < 0.5) {
            throw ModelError.invalid(parameter: "target-rate", value: "\(targetRate)", allowed: "a number in (0, 0.5)")
        }
        try network.validate(layerEvaluations: 5 * 3 * depth)  // up to 5 checks, 3 passes each
        if format == .csv {
            throw ModelError.invalid(parameter: "format", value: "csv", allowed: "table or json")
        }
    }

    func run() throws {
        let steps = network.steps
        let advice = try StabilityAdvisor.advise(theta: theta, depth: depth, width: network.width,
                                                 input: network.input, targetRate: targetRate,
                                                 tolerance: tolerance, margin: margin,
                                                 negligibleProbability: network.negligibleProbability)
        var slopes: [(String, KernelMapSlope)] = []
        if steps > 1 {
            let diagram = try network.diagram(depth: depth, tolerance: tolerance)
            let neuron = try network.neuron(threshold: theta)
            let settings = try network.temporal.settings(steps: steps, layerEvaluations: 5 * 3 * depth)
            for (name, check) in AdviceReport.rows(advice) where name != "boundary" && name != "largest searched" {
                slopes.append((name, try diagram.kernelMapSlope(theta: theta, scale: check.targetVariance,
                                                                leak: neuron.leak, reset: neuron.reset, steps: steps,
                                                                settings: settings)))
            }
        }
        let report = AdviceReport(advice: advice, slopes: slopes, steps: steps, beta: network.beta,
                                  reset: network.reset, negligibleProbability: network.negligibleProbability,
                                  settings: try network.reportedSettings())
        switch format {
        case .json: print(report.json().rendered())
        case .table, .csv: print(report.table())
        }
    }
}

struct AdviceReport {
    let advice: StabilityAdvice
    /// The multi-step slope at the named points (empty for T = 1).
    let slopes: [(String, KernelMapSlope)]
    let steps: Int
    let beta: Double
    let reset: Reset
    var negligibleProbability = PhaseDiagram.defaultNegligibleProbability
    var settings: TemporalKernelSettings?

    /// The points worth a row, named.
    static func rows(_ a: StabilityAdvice) -> [(String, StabilityCheck)] {
        var rows = [("paper's default", a.paperDefault)]
        if let r = a.atTargetRate { rows.append(("target rate \(Format.number(a.targetRate ?? 0))", r)) }
        if let b = a.boundary { rows.append(("boundary", b)) }
        if let r = a.recommended { rows.append(("recommended", r)) } else { rows.append(("largest searched", a.largestSearched)) }
        return rows
    }

    var a: StabilityAdvice { advice }

    var criterion: String {
        "criterion: stable fixed point (chi < 1, i.e. target variance > \(Format.number(a.criticalTargetVariance))) and "
            + "P(silent at layer \(a.depth)) <= \(Format.number(a.tolerance)) (exact chain); recommended with a "
            + "\(Format.number(a.margin))x margin (P(silent) <= \(Format.number(a.tolerance / a.margin))), rounded up "
            + "to 2 significant figures"
    }

    func verdict() -> String {
        let d = a.paperDefault
        let paper = "the paper's unit target gives chi \(Format.number(d.fixedPointSlope, digits: 3)) and "
            + "P(silent at layer \(a.depth)) = \(Format.number(d.silentProbability, digits: 3))"
        var parts: [String] = []
        if let r = a.recommended {
            parts.append("use target variance \(Format.number(r.targetVariance)) (weight std sigma_w / sqrt(n_in) with "
                + "sigma_w = \(Format.number(r.weightScale)) from layer 2, \(Format.number(r.firstLayerWeightScale)) "
                + "at layer 1): chi \(Format.number(r.fixedPointSlope, digits: 3)), rate "
                + "\(Format.number(r.meanFieldRate)), P(silent at layer \(a.depth)) = "
                + "\(Format.number(r.silentProbability, digits: 3)) at width \(a.width), where " + paper)
        } else if let b = a.boundary {
            parts.append("only without the margin: target variance \(Format.number(b.targetVariance)) keeps "
                + "P(silent at layer \(a.depth)) = \(Format.number(b.silentProbability, digits: 3)) <= "
                + "\(Format.number(a.tolerance)), but no target variance up to "
                + "\(Format.number(a.largestSearched.targetVariance)) reaches \(Format.number(a.tolerance / a.margin)) "
                + "at width \(a.width) (\(Format.number(a.largestSearched.silentProbability, digits: 3)) there); " + paper)
        } else {
            let l = a.largestSearched
            parts.append("no target variance keeps P(silent at layer \(a.depth)) <= \(Format.number(a.tolerance)) at "
                + "width \(a.width): even at \(Format.number(l.targetVariance)) (rate \(Format.number(l.meanFieldRate)), "
                + "chi \(Format.number(l.fixedPointSlope, digits: 3))) it is "
                + "\(Format.number(l.silentProbability, digits: 3)); widen the layers or shorten the network; " + paper)
        }
        if let r = a.atTargetRate, let rate = a.targetRate {
            if !r.isStable {
                parts.append("target rate \(Format.number(rate)) cannot be held stably: its fixed point has chi "
                    + "\(Format.number(r.fixedPointSlope, digits: 3)) > 1 (rates below Q(1.1906) = 0.1169 are "
                    + "unstable at any width), P(silent at layer \(a.depth)) = \(Format.number(r.silentProbability, digits: 3))")
            } else if r.silentProbability > a.tolerance {
                parts.append("target rate \(Format.number(rate)) is stable (chi \(Format.number(r.fixedPointSlope, digits: 3))) "
                    + "but leaves P(silent at layer \(a.depth)) = \(Format.number(r.silentProbability, digits: 3)) at "
                    + "width \(a.width)")
            } else {
                parts.append("target rate \(Format.number(rate)) holds: target variance "
                    + "\(Format.number(r.targetVariance)), chi \(Format.number(r.fixedPointSlope, digits: 3)), "
                    + "P(silent at layer \(a.depth)) = \(Format.number(r.silentProbability, digits: 3))")
            }
        }
        return parts.joined(separator: "; ")
    }

    static func slopeText(_ s: KernelMapSlope) -> String {
        "\(Format.number(s.value, digits: 3)) ± \(Format.number(s.error, digits: 2))"
    }

    func table() -> String {
        var out = [
            "snn-theory \(SNNTheoryCommand.version) advise: paper's initialization, first time step; theta "
                + "\(Format.number(a.threshold)), depth \(a.depth), width \(a.width) (input \(a.width)), input \(a.input)",
            criterion,
            "",
        ]
        out.append(Format.table(
            header: ["", "target variance", "theta/sigma_t", "chi", "depth scale", "rate", "sigma_w (layer 1)",
                     "sigma_w (layers 2+)", "P(silent at \(a.depth))", "P(saturated at \(a.depth))"],
            rows: Self.rows(a).map { name, c in
                [name, Format.number(c.targetVariance), Format.number(c.thresholdOverSigma),
                 Format.number(c.fixedPointSlope, digits: 3), c.depthScale.map { Format.number($0, digits: 3) } ?? "-",
                 Format.number(c.meanFieldRate), Format.number(c.firstLayerWeightScale), Format.number(c.weightScale),
                 Format.number(c.silentProbability, digits: 3), Format.number(c.saturatedProbability, digits: 3)]
            }))
        out.append("")
        out.append("advice: " + verdict())
        if !slopes.isEmpty, let first = slopes.first?.1 {
            out.append("")
            out.append("multi-step (T = \(steps), beta \(Format.number(beta)), reset \(reset)): slope of the kernel map "
                + "K_{l-1} -> K_l (growth per layer of its most unstable small deviation) at layer \(a.depth), or at an "
                + "unstable fixed point the first layer rounding has moved the recursion off it; numerical estimate ± "
                + "error (\(first.method == .quadrature ? "quadrature" : "quasi-Monte Carlo, common random numbers"), "
                + "deviations of \(Format.number(first.relativePerturbation * 100))% of the kernel, power iteration)")
            for (name, s) in slopes {
                out.append("  \(name), layer \(s.layer): \(Self.slopeText(s)) (time-averaged rate \(Format.number(s.timeAveragedRate))) "
                    + (s.value - 2 * s.error > 1 ? "unstable" : s.value + 2 * s.error < 1 ? "stable" : "undecided within 2 errors"))
            }
        }
        return out.joined(separator: "\n")
    }

    static func checkJSON(_ c: StabilityCheck) -> JSON {
        .object([("target_variance", .number(c.targetVariance)), ("threshold_over_sigma", .number(c.thresholdOverSigma)),
                 ("chi", .number(c.fixedPointSlope)), ("depth_scale", .finite(c.depthScale)), ("stable", .bool(c.isStable)),
                 ("mean_field_rate", .number(c.meanFieldRate)), ("weight_scale_first_layer", .number(c.firstLayerWeightScale)),
                 ("weight_scale", .number(c.weightScale)), ("silent_probability", .number(c.silentProbability)),
                 ("saturated_probability", .number(c.saturatedProbability))])
    }

    func json() -> JSON {
        var fields: [(String, JSON)] = [
            ("model", .object([
                ("tool", .string("snn-theory")), ("version", .string(SNNTheoryCommand.version)),
                ("command", .string("advise")),
                ("theory", .string("paper's initialization; first time step: mean-field chi, exact finite-width chain")),
                ("theta", .number(a.threshold)), ("depth", .integer(a.depth)), ("width", .integer(a.width)),
                ("input", .string(a.input.description)), ("tolerance", .number(a.tolerance)),
                ("margin", .number(a.margin)), ("target_rate", .finite(a.targetRate)),
                ("negligible_probability", .number(negligibleProbability)),
                ("steps", .integer(steps)), ("beta", .number(beta)), ("reset", .string(reset.rawValue)),
                ("conventions", .string(steps > 1 ? Provenance.conventions(reset: reset.rawValue) : Provenance.firstStepConventions)),
            ] + Provenance.temporalFields(settings, steps: steps))),
            ("critical_target_variance", .number(a.criticalTargetVariance)),
            ("paper_default", Self.checkJSON(a.paperDefault)),
            ("at_target_rate", a.atTargetRate.map(Self.checkJSON) ?? .null),
            ("target_rate_holds", a.targetRateHolds.map { .bool($0) } ?? .null),
            ("boundary", a.boundary.map(Self.checkJSON) ?? .null),
            ("recommended", a.recommended.map(Self.checkJSON) ?? .null),
            ("largest_searched", Self.checkJSON(a.largestSearched)),
            ("verdict", .string(verdict())),
        ]
        if !slopes.isEmpty {
            fields.append(("multi_step", .object([
                ("steps", .integer(steps)), ("beta", .number(beta)), ("reset", .string(reset.rawValue)),
                ("quantity", .string("numerical estimate of the largest growth factor per layer of a small deviation of the kernel (power iteration on central differences)")),
                ("slopes", .array(slopes.map { name, s in
                    .object([("point", .string(name)), ("layer", .integer(s.layer)), ("slope", .number(s.value)), ("error", .number(s.error)),
                             ("statistical_error", .number(s.statisticalError)),
                             ("discretization_error", .number(s.discretizationError)),
                             ("relative_perturbation", .number(s.relativePerturbation)),
                             ("method", .string(s.method.rawValue)), ("time_averaged_rate", .number(s.timeAveragedRate))])
                })),
            ])))
        }
        return .object(fields)
    }
}
