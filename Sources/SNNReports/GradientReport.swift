import SNNFormats
import SNNSimulator

/// `simulate --gradients`: the forward pass's report with the backward pass's per-layer gradient variances.
///
/// Reported per layer l, each the mean over networks ± standard error, and relative to the last layer (a ratio of
/// means over networks, `GradientLayerStatistics`): Var[delta_l[t]] per step and pooled over steps, and the variance
/// of the entries of the per-item weight gradient dL_b/dW_l and of the batch-summed one. The per-item one is the
/// quantity whose depth profile a chi^(L - l) prediction describes; the batch sum adds cross-item terms.
public struct GradientReport {
    public let simulation: SimulationReport
    public let gradients: GradientStatistics

    public init(simulation: SimulationReport, gradients: GradientStatistics) {
        self.simulation = simulation
        self.gradients = gradients
    }

    var settings: [(String, JSON)] {
        [
            ("loss", .string("L = sum over batch items and steps t of g^T s_L[t], g ~ N(0, I) fixed per network")),
            ("surrogate", .string(gradients.configuration.surrogate.description)),
            ("reset_grad", .string(gradients.configuration.resetGradient.rawValue)),
        ]
    }

    static func estimateJSON(_ name: String, _ e: Estimate?) -> [(String, JSON)] {
        [(name, .finite(e?.mean)), (name + "_stderr", .finite(e?.standardError))]
    }

    func layerJSON(_ l: GradientLayerStatistics) -> JSON {
        var fields: [(String, JSON)] = [("layer", .integer(l.layer))]
        fields += Self.estimateJSON("delta_variance_pooled", l.deltaVariancePooled)
        fields += Self.estimateJSON("delta_variance_pooled_relative", l.deltaVariancePooledRelative)
        fields += Self.estimateJSON("item_gradient_variance", l.itemGradientVariance)
        fields += Self.estimateJSON("item_gradient_variance_relative", l.itemGradientVarianceRelative)
        fields += Self.estimateJSON("batch_gradient_variance", l.batchGradientVariance)
        fields += Self.estimateJSON("batch_gradient_variance_relative", l.batchGradientVarianceRelative)
        fields.append(("steps", .array(l.deltaVariance.indices.map { t in
            .object([("t", .integer(t + 1))] + Self.estimateJSON("delta_variance", l.deltaVariance[t])
                + Self.estimateJSON("delta_variance_relative", l.deltaVarianceRelative[t]))
        })))
        return .object(fields)
    }

    /// The forward report's JSON with a `gradients` object: the settings and one entry per layer.
    public func json() -> JSON {
        guard case var .object(fields) = simulation.json() else { return simulation.json() }
        fields.append(("gradients", .object(settings + [("layers", .array(gradients.layers.map(layerJSON)))])))
        return .object(fields)
    }

    /// The forward report's CSV, each (layer, t) row extended with Var[delta_l[t]] and the layer's pooled and weight-
    /// gradient variances (repeated on each of its steps), each with its standard error and relative value.
    public func csv() -> String {
        let names = ["delta_variance", "delta_variance_pooled", "item_gradient_variance", "batch_gradient_variance"]
        let header = names.flatMap { [$0, $0 + "_stderr", $0 + "_relative", $0 + "_relative_stderr"] }
        var lines: [String] = []
        var row = 0
        let rows = gradients.layers.flatMap { l in
            l.deltaVariance.indices.map { t in
                [(l.deltaVariance[t], l.deltaVarianceRelative[t]), (l.deltaVariancePooled, l.deltaVariancePooledRelative),
                 (l.itemGradientVariance, l.itemGradientVarianceRelative),
                 (l.batchGradientVariance, l.batchGradientVarianceRelative)]
                    .flatMap { e, relative in
                        [Format.exact(e.mean), Format.exact(e.standardError), Format.exact(relative?.mean),
                         Format.exact(relative?.standardError)]
                    }
            }
        }
        for line in simulation.csv().split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            if line.hasPrefix("#") {
                lines.append(String(line))
            } else if line.hasPrefix("layer,") {
                lines.append("# gradients: " + settings.map { "\($0.0)=\($0.1.rendered(pretty: false))" }.joined(separator: " "))
                lines.append(([String(line)] + header).joined(separator: ","))
            } else {
                lines.append(([String(line)] + rows[row]).joined(separator: ","))
                row += 1
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func relative(_ e: Estimate?) -> String {
        e.map { SimulationReport.withError($0, digits: 3) } ?? "-"
    }

    /// The forward report's table, then one row per shown layer: Var[delta] at t = 1 (and t = T), pooled, and the two
    /// weight-gradient variances, each with its value relative to the last layer.
    public func table(allLayers: Bool) -> String {
        let c = gradients.configuration.simulation
        let last = c.steps
        var header = ["layer", "Var[delta] t=1"]
        if last > 1 { header += ["Var[delta] t=\(last)", "Var[delta] t=1..\(last)"] }
        header += ["rel.", "Var[dW] per item", "rel.", "Var[dW] batch sum", "rel."]
        let rows = SimulationReport.shownLayers(depth: c.architecture.depth, allLayers: allLayers).map { i -> [String] in
            let l = gradients.layers[i - 1]
            var row = ["\(i)", SimulationReport.withError(l.deltaVariance[0])]
            if last > 1 {
                row += [SimulationReport.withError(l.deltaVariance[last - 1]), SimulationReport.withError(l.deltaVariancePooled)]
            }
            row += [Self.relative(last > 1 ? l.deltaVariancePooledRelative : l.deltaVarianceRelative[0]),
                    SimulationReport.withError(l.itemGradientVariance), Self.relative(l.itemGradientVarianceRelative),
                    SimulationReport.withError(l.batchGradientVariance), Self.relative(l.batchGradientVarianceRelative)]
            return row
        }
        let lines = [
            "gradients: L = sum_t g^T s_L[t] over the batch, g ~ N(0, I) fixed per network; delta_l[t] = dL/du_l[t]; "
                + "surrogate \(gradients.configuration.surrogate), reset gradient \(gradients.configuration.resetGradient.rawValue)",
            "rel. = relative to layer \(c.architecture.depth) (ratio of means over networks ± standard error); "
                + "Var[dW] over the entries of dL/dW_l, per batch item or summed over the batch",
        ]
        return simulation.table(allLayers: allLayers) + "\n" + (lines + ["", Format.table(header: header, rows: rows)])
            .joined(separator: "\n")
    }
}

extension SimulationReport {
    /// `simulate`'s standard output in `format`: this report, with `gradients` when the run computed them.
    public func text(_ format: OutputFormat, allLayers: Bool, gradients: GradientStatistics?) -> String {
        guard let gradients else {
            return format.text(json: json(), csv: csv(), table: table(allLayers: allLayers))
        }
        let report = GradientReport(simulation: self, gradients: gradients)
        return format.text(json: report.json(), csv: report.csv(), table: report.table(allLayers: allLayers))
    }
}
