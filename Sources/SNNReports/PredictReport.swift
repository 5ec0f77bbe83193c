import Foundation
import SNNModel
import SNNFormats
import SNNTheory
import SNNVerification

/// One initialization's prediction: the first step, and the multi-step theory and exact chain when asked for.
public struct SchemePrediction {
    /// The initialization's name: a scheme, or `target-rate:R` / `target-variance:V` for the solver's scales.
    public let scheme: String
    public let layers: [FirstStepLayer]
    public let temporal: TemporalPrediction?
    /// The exact finite-width chain's layers (first step), when asked for.
    public let finiteWidth: [FiniteWidthLayer]?
    /// The backward mean field, with `--gradients`.
    public var gradient: SchemeGradient?

    public init(scheme: String, layers: [FirstStepLayer], temporal: TemporalPrediction?,
                finiteWidth: [FiniteWidthLayer]?)
    {
        self.scheme = scheme
        self.layers = layers
        self.temporal = temporal
        self.finiteWidth = finiteWidth
    }

    /// One line a person can act on: held, vanishing or growing, and whether the fixed point is stable
    /// (`PredictionVerdict` decides; this words it).
    public var verdict: String {
        guard let v = PredictionVerdict(scheme: scheme, layers: layers, temporal: temporal, finiteWidth: finiteWidth)
        else { return "" }
        let first = v.first, last = v.last
        var parts: [String] = []
        switch v.activity {
        case let .vanishes(fading, silent):
            parts.append("activity vanishes: rate below 1e-6 from layer \(fading.layer)"
                + " (Var[u] = \(Format.fromLog(value: fading.membraneVariance, log: fading.logMembraneVariance, digits: 3)))"
                + (silent.map { "; layer \($0.layer) on is silent (expected spikes per step < 0.001)" } ?? ""))
        case .held:
            parts.append("held: Var[u] \(Format.number(last.membraneVariance)) and rate \(Format.number(last.rate)) "
                + "at layer \(last.layer)")
        case .changes:
            parts.append("Var[u] goes from \(Format.number(first.membraneVariance)) at layer 1 to "
                + "\(Format.number(last.membraneVariance)) at layer \(last.layer) (rate \(Format.number(last.rate)))")
        }
        if let chain = v.finiteWidth {
            parts.append("at width \(chain.width) (exact chain): P(silent at layer \(chain.layer)) = "
                + "\(Format.number(chain.silentProbability, digits: 3)), mean rate \(Format.number(chain.meanRate))")
        }
        if let course = v.timeCourse {
            let finalStep = course.finalStep
            parts.append("over \(course.steps) steps the rate at layer \(last.layer) goes from "
                + "\(Format.number(last.rate)) (t=1) to \(Format.number(finalStep.rate)) (t=\(finalStep.t)), "
                + "Var[u] from \(Format.number(last.membraneVariance)) to \(Format.number(finalStep.membraneVariance))")
        }
        switch v.stability {
        case let .unstable(chi, leavesAt):
            var unstable = "unstable fixed point: deviations grow \(Format.number(chi, digits: 3))x per layer"
            if let leavesAt {
                unstable += "; rounding alone moves this computation 1% off it by layer \(leavesAt), "
                    + "and real networks leave it sooner (see --finite-width)"
            }
            parts.append(unstable)
        case let .stable(chi, scale):
            parts.append("stable: deviations shrink \(Format.number(chi, digits: 3))x per layer "
                + "(depth scale \(Format.number(scale, digits: 3)) layers)")
        case nil:
            break
        }
        if v.solvedForInfiniteWidth {
            parts.append("solved for infinitely wide layers, so at finite width the rate drifts with depth; "
                + "`simulate --target-rate R --solve-on sampler` solves for the expected rate at your width")
        }
        if let gradient { parts.append(gradient.verdict) }
        return parts.joined(separator: "; ")
    }
}

extension SchemePrediction {
    /// `network`'s prediction: the first step, the multi-step theory when it runs more than one step (`progress` gets
    /// its layers x replicates) and, with `finiteWidth`, the exact chain.
    public init(_ network: Network, settings: TemporalKernelSettings, finiteWidth: Bool,
                progress: (@Sendable (_ finished: Int, _ total: Int) -> Void)? = nil) throws
    {
        let temporal = network.steps > 1
            ? try TemporalKernel.propagate(network, settings: settings, progress: progress) : nil
        self.init(scheme: network.initialization.description, layers: try VarianceRecursion.firstStep(network),
                  temporal: temporal, finiteWidth: finiteWidth ? try FiniteWidthChain(network).layers() : nil)
    }
}

/// `predict`'s result: the model it was asked about and each initialization's prediction, as JSON, CSV or a table.
public struct PredictReport {
    public let architecture: Architecture
    public let neuron: NeuronModel
    public let input: InputEncoding
    public let steps: Int
    public let targetVariance: Double
    public let predictions: [SchemePrediction]

    public init(architecture: Architecture, neuron: NeuronModel, input: InputEncoding, steps: Int,
                targetVariance: Double, predictions: [SchemePrediction])
    {
        self.architecture = architecture
        self.neuron = neuron
        self.input = input
        self.steps = steps
        self.targetVariance = targetVariance
        self.predictions = predictions
    }

    var modelJSON: JSON {
        .object([
            ("tool", .string("snn-theory")),
            ("version", .string(ToolVersion.current)),
            ("command", .string("predict")),
            ("theory", .string(steps == 1 ? "mean field (infinite width), first time step" : "mean field (infinite width), \(steps) time steps; layer fields membrane_variance and rate are the first step's")),
            ("depth", .integer(architecture.depth)),
            ("widths", .array(architecture.widths.map { .integer($0) })),
            ("theta", .number(neuron.threshold)),
            ("beta", .number(neuron.leak)),
            ("reset", .string(neuron.reset.rawValue)),
            ("steps", .integer(steps)),
            ("input", .string(input.description)),
            ("init", .string(predictions.map(\.scheme).joined(separator: ","))),
            ("target_variance", .number(targetVariance)),
            ("conventions", .string(neuron.conventions)),
        ] + temporalModelFields)
    }

    var temporalModelFields: [(String, JSON)] {
        guard let t = predictions.first?.temporal else { return [] }
        return [
            ("multi_step_theory", .string("mean-field temporal kernel K_l = F(n Var[w_l] K_(l-1))")),
            ("multi_step_method", .string(t.method.rawValue)),
            ("qmc_points", .integer(t.settings.points)),
            ("qmc_replicates", .integer(t.settings.replicates)),
            ("seed", .integer(Int(truncatingIfNeeded: t.settings.seed))),
        ]
    }

    func layerJSON(_ l: FirstStepLayer, _ temporal: TemporalLayer?, _ chain: FiniteWidthLayer?) -> JSON {
        var fields: [(String, JSON)] = [
            ("layer", .integer(l.layer)),
            ("fan_in", .integer(l.fanIn)),
            ("width", .integer(l.width)),
            ("weight_variance", .number(l.weightVariance)),
            ("weight_std", .number(l.weightVariance.squareRoot())),
            ("membrane_variance", .number(l.membraneVariance)),
            ("log10_membrane_variance", .finite(l.logMembraneVariance / log(10.0))),
            ("rate", .number(l.rate)),
            ("log10_rate", .finite(l.logRate / log(10.0))),
            ("silent", .bool(l.isSilent)),
            ("fixed_point_slope", .finite(l.fixedPointSlope)),
            ("depth_scale", .finite(l.depthScale)),
        ]
        if let chain {
            fields.append(("finite_width", .object([
                ("silent_probability", .number(chain.silentProbability)),
                ("mean_rate", .number(chain.meanRate)),
                ("mean_rate_given_active", .finite(chain.meanRateGivenActive)),
                ("rate_std", .number(chain.rateStandardDeviation)),
                ("rate_p05", .number(chain.rate5thPercentile)),
                ("rate_p50", .number(chain.rateMedian)),
                ("rate_p95", .number(chain.rate95thPercentile)),
                ("membrane_variance_mean", .number(chain.membraneVarianceMean)),
                ("membrane_variance_std", .number(chain.membraneVarianceStandardDeviation)),
                ("saturated_probability", .number(chain.saturatedProbability)),
            ])))
            fields.append(("silent_probability", .number(chain.silentProbability)))
        }
        if let temporal {
            fields.append(("time_averaged_rate", .number(temporal.timeAveragedRate)))
            fields.append(("time_averaged_rate_error", .number(temporal.timeAveragedRateError)))
            fields.append(("steps", .array(temporal.steps.map { s in
                .object([
                    ("t", .integer(s.t)),
                    ("rate", .number(s.rate)),
                    ("rate_error", .number(s.rateError)),
                    ("membrane_mean", .number(s.membraneMean)),
                    ("membrane_variance", .number(s.membraneVariance)),
                    ("membrane_variance_error", .number(s.membraneVarianceError)),
                    ("spike_correlation_previous", .finite(s.spikeCorrelationWithPrevious)),
                ])
            })))
        }
        return .object(fields)
    }

    func layerRecords(_ p: SchemePrediction) -> [JSON] {
        p.layers.enumerated().map { i, l in
            let record = layerJSON(l, p.temporal?.layers[i], p.finiteWidth?[i])
            guard let gradient = p.gradient, case var .object(fields) = record else { return record }
            fields.append(("gradient", gradient.layerJSON(i)))
            return .object(fields)
        }
    }

    public func json() -> JSON {
        if predictions.count == 1, let only = predictions.first {
            return .object([
                ("model", modelJSON),
                ("verdict", .string(only.verdict)),
            ] + (only.gradient.map { [("gradients", $0.summaryJSON)] } ?? []) + [
                ("layers", .array(layerRecords(only))),
            ])
        }
        return .object([
            ("model", modelJSON),
            ("predictions", .array(predictions.map { p in
                .object([("init", .string(p.scheme)), ("verdict", .string(p.verdict))]
                    + (p.gradient.map { [("gradients", $0.summaryJSON)] } ?? [])
                    + [("layers", .array(layerRecords(p)))])
            })),
        ])
    }

    var provenance: [String] {
        [
            "snn-theory \(ToolVersion.current) predict: mean field (infinite width)" + (steps == 1 ? ", first time step" : ", \(steps) time steps"),
            "network: \(architecture.depth) layer\(architecture.depth == 1 ? "" : "s"), widths \(widthSummary); input \(input)",
            "neuron: theta \(Format.number(neuron.threshold)), beta \(Format.number(neuron.leak)), reset \(neuron.reset.rawValue); \(neuron.conventions)",
            "init: \(predictions.map(\.scheme).joined(separator: ",")) (paper target variance \(Format.number(targetVariance)))",
        ] + temporalProvenance
    }

    var temporalProvenance: [String] {
        guard let t = predictions.first?.temporal else { return [] }
        let how = t.method == .quadrature ? "quadrature (GSL, 1-D over I[1], the t = 2 spike probability in closed form)"
            : "randomized quasi-Monte Carlo, \(t.settings.points) points x \(t.settings.replicates) replicates, seed \(t.settings.seed)"
        return ["steps: \(steps), mean-field temporal kernel by \(how); t=1 columns are the paper's recursion"]
    }

    var widthSummary: String {
        let hidden = Set(architecture.widths.dropFirst())
        if hidden.count == 1, let w = hidden.first { return "\(w) (input \(architecture.widths[0]))" }
        return architecture.widths.map(String.init).joined(separator: ",")
    }

    public func csv() -> String {
        var lines = provenance.map { "# " + $0 }
        let temporal = predictions.first?.temporal != nil, chain = predictions.first?.finiteWidth != nil
        let gradients = predictions.first?.gradient != nil
        lines.append("init,layer,fan_in,width,weight_variance,weight_std,membrane_variance,log10_membrane_variance,"
            + "rate,log10_rate,silent,fixed_point_slope,depth_scale"
            // The exact chain's fields, as in the JSON's finite_width record.
            + (chain ? ",silent_probability,finite_width_mean_rate,finite_width_mean_rate_given_active,"
                + "finite_width_rate_std,finite_width_rate_p05,finite_width_rate_p50,finite_width_rate_p95,"
                + "finite_width_membrane_variance_mean,finite_width_membrane_variance_std,saturated_probability" : "")
            + (temporal ? ",t,step_rate,step_rate_error,step_membrane_mean,step_membrane_variance,"
                + "step_membrane_variance_error,step_spike_correlation_previous" : "")
            + (gradients ? SchemeGradient.csvHeader + (temporal ? ",gradient_step_membrane_variance" : "") : ""))
        for p in predictions {
            for (i, l) in p.layers.enumerated() {
                var layerFields = [
                    Format.csvField(p.scheme), "\(l.layer)", "\(l.fanIn)", "\(l.width)",
                    Format.exact(l.weightVariance), Format.exact(l.weightVariance.squareRoot()),
                    Format.exact(l.membraneVariance), Format.exact(l.logMembraneVariance / log(10.0)),
                    Format.exact(l.rate), Format.exact(l.logRate / log(10.0)), l.isSilent ? "true" : "false",
                    Format.exact(l.fixedPointSlope), Format.exact(l.depthScale),
                ]
                if let f = p.finiteWidth?[i] {
                    layerFields += [f.silentProbability, f.meanRate, f.meanRateGivenActive, f.rateStandardDeviation,
                                    f.rate5thPercentile, f.rateMedian, f.rate95thPercentile, f.membraneVarianceMean,
                                    f.membraneVarianceStandardDeviation, f.saturatedProbability].map(Format.exact)
                }
                if let t = p.temporal?.layers[i] {
                    // One row per time step; the layer's first-step fields repeat on each.
                    for s in t.steps {
                        var stepFields = [
                            "\(s.t)", Format.exact(s.rate), Format.exact(s.rateError), Format.exact(s.membraneMean),
                            Format.exact(s.membraneVariance), Format.exact(s.membraneVarianceError),
                            Format.exact(s.spikeCorrelationWithPrevious),
                        ]
                        if let g = p.gradient {
                            stepFields += g.csvFields(i) + [Format.exact(g.prediction.layers[i].membraneVariance[s.t - 1])]
                        }
                        lines.append((layerFields + stepFields).joined(separator: ","))
                    }
                } else {
                    lines.append((layerFields + (p.gradient?.csvFields(i) ?? [])).joined(separator: ","))
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func shownLayers(allLayers: Bool) -> [Int] {
        let depth = architecture.depth
        if allLayers || depth <= 20 { return Array(1...depth) }
        let step = depth <= 200 ? 10 : depth <= 2000 ? 100 : 1000
        var shown = Array(1...5) + stride(from: step, through: depth, by: step)
        if shown.last != depth { shown.append(depth) }
        return shown
    }

    public func table(allLayers: Bool) -> String {
        let rows = shownLayers(allLayers: allLayers)
        var header: [String]
        var cells: [[String]]
        if let steps = predictions.first?.temporal?.layers.first?.steps.count {
            let last = "t=\(steps)"
            if predictions.count == 1, let p = predictions.first, let temporal = p.temporal {
                header = ["layer", "Var[w]", "Var[u] t=1", "rate t=1", "rate \(last)", "mean rate", "Var[u] \(last)",
                          "rate error"]
                cells = rows.map { i in
                    let l = p.layers[i - 1], t = temporal.layers[i - 1]
                    return ["\(i)", Format.number(l.weightVariance),
                            Format.fromLog(value: l.membraneVariance, log: l.logMembraneVariance),
                            Format.fromLog(value: l.rate, log: l.logRate),
                            Format.number(t.steps[steps - 1].rate), Format.number(t.timeAveragedRate),
                            Format.number(t.steps[steps - 1].membraneVariance),
                            Format.number(t.steps.map(\.rateError).max() ?? 0, digits: 2)]
                }
            } else {
                header = ["layer"] + predictions.flatMap { ["rate t=1 \($0.scheme)", "rate \(last) \($0.scheme)"] }
                cells = rows.map { i in
                    ["\(i)"] + predictions.flatMap { p -> [String] in
                        let l = p.layers[i - 1]
                        return [Format.fromLog(value: l.rate, log: l.logRate),
                                p.temporal.map { Format.number($0.layers[i - 1].steps[steps - 1].rate) } ?? "-"]
                    }
                }
            }
        } else if let chainWidth = predictions.first?.finiteWidth?.first?.width {
            header = ["layer"] + predictions.flatMap { ["rate \($0.scheme)", "P(silent) \($0.scheme)", "mean rate n=\(chainWidth)", "5%-95%"] }
            cells = rows.map { i in
                ["\(i)"] + predictions.flatMap { p -> [String] in
                    let l = p.layers[i - 1]
                    guard let c = p.finiteWidth?[i - 1] else { return ["-", "-", "-", "-"] }
                    return [Format.fromLog(value: l.rate, log: l.logRate), Format.number(c.silentProbability, digits: 3),
                            Format.number(c.meanRate), "\(Format.number(c.rate5thPercentile, digits: 3))-\(Format.number(c.rate95thPercentile, digits: 3))"]
                }
            }
        } else if predictions.count == 1, let p = predictions.first {
            header = ["layer", "fan_in", "width", "Var[w]", "Var[u]", "rate", "chi"]
            cells = rows.map { i in
                let l = p.layers[i - 1]
                return ["\(l.layer)", "\(l.fanIn)", "\(l.width)", Format.number(l.weightVariance),
                        Format.fromLog(value: l.membraneVariance, log: l.logMembraneVariance),
                        Format.fromLog(value: l.rate, log: l.logRate),
                        l.fixedPointSlope.map { Format.number($0) } ?? "-"]
            }
        } else {
            header = ["layer"] + predictions.flatMap { ["Var[u] \($0.scheme)", "rate \($0.scheme)"] }
            cells = rows.map { i in
                ["\(i)"] + predictions.flatMap { p in
                    let l = p.layers[i - 1]
                    return [Format.fromLog(value: l.membraneVariance, log: l.logMembraneVariance),
                            Format.fromLog(value: l.rate, log: l.logRate)]
                }
            }
        }
        var out = provenance
        out.append("")
        out.append(Format.table(header: header, rows: cells))
        out.append("")
        for p in predictions {
            if let g = p.gradient {
                out.append(g.table(rows: rows, scheme: p.scheme))
                out.append("")
            }
        }
        for p in predictions { out.append("\(p.scheme): \(p.verdict)") }
        return out.joined(separator: "\n")
    }
}
