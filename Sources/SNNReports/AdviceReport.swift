import SNNModel
import SNNFormats
import SNNTheory

/// `advise`'s result: the checked target variances, the advice in words, and with several steps the kernel map's
/// slope at the named points.
public struct AdviceReport {
    public let advice: StabilityAdvice
    /// The multi-step slope at the named points (empty for T = 1).
    public let slopes: [(String, KernelMapSlope)]
    public let steps: Int
    public let beta: Double
    public let reset: Reset
    public let negligibleProbability: Double
    public let settings: TemporalKernelSettings?

    public init(advice: StabilityAdvice, slopes: [(String, KernelMapSlope)], steps: Int, beta: Double, reset: Reset,
                negligibleProbability: Double = PhaseDiagram.defaultNegligibleProbability,
                settings: TemporalKernelSettings? = nil)
    {
        self.advice = advice
        self.slopes = slopes
        self.steps = steps
        self.beta = beta
        self.reset = reset
        self.negligibleProbability = negligibleProbability
        self.settings = settings
    }

    /// The multi-step slope at each row that names a target variance to use (not the boundary or the largest
    /// searched): `diagram.kernelMapSlope` at `theta` with `neuron`'s leak and reset.
    public static func slopes(_ advice: StabilityAdvice, diagram: PhaseDiagram, theta: Double, neuron: NeuronModel,
                              steps: Int, settings: TemporalKernelSettings) throws -> [(String, KernelMapSlope)]
    {
        try rows(advice).filter { $0.0 != "boundary" && $0.0 != "largest searched" }.map { name, check in
            (name, try diagram.kernelMapSlope(theta: theta, scale: check.targetVariance, leak: neuron.leak,
                                              reset: neuron.reset, steps: steps, settings: settings))
        }
    }

    /// The points worth a row, named.
    public static func rows(_ a: StabilityAdvice) -> [(String, StabilityCheck)] {
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

    public func table() -> String {
        var out = [
            "snn-theory \(ToolVersion.current) advise: paper's initialization, first time step; theta "
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

    public func json() -> JSON {
        var fields: [(String, JSON)] = [
            ("model", .object([
                ("tool", .string("snn-theory")), ("version", .string(ToolVersion.current)),
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
