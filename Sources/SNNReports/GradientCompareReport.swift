import Foundation
import SNNFormats
import SNNVerification
import SVGPlot

/// `compare --gradients`: per cell and layer, the gradient variances relative to the last layer, predicted (wide
/// limit, and the finite-width correction where it applies) against simulated, with deviations in standard errors,
/// and each cell's verdict. Table, CSV (one row per cell and layer), JSON, and an SVG figure.
public struct GradientCompareReport {
    /// The sweep's shared settings as (name, value) pairs, for every format's header.
    public let settings: [(String, JSON)]
    public let cells: [GradientCellComparison]

    public init(settings: [(String, JSON)], cells: [GradientCellComparison]) {
        self.settings = settings
        self.cells = cells
    }

    static func cellName(_ c: GradientCellComparison) -> String {
        "width \(c.cell.width), theta \(Format.number(c.cell.theta)), beta \(Format.number(c.cell.beta)), "
            + "\(c.cell.scheme), T = \(c.steps), \(c.surrogate), reset gradient \(c.resetGradient), \(c.networks) networks"
    }

    static func deviation(_ d: Double?) -> String { d.map { String(format: "%+.1f", $0) } ?? "-" }

    /// A value for the table, "-" where it is undefined (a ratio to a last layer whose value is 0).
    static func value(_ x: Double?) -> String { x.map { $0.isFinite ? Format.number($0) : "-" } ?? "-" }

    static func estimate(_ value: Double, _ error: Double?) -> String {
        guard value.isFinite else { return "-" }
        return Format.number(value) + (error.map { " ± " + Format.number($0, digits: 2) } ?? "")
    }

    public func table() -> String {
        var out = "# compare --gradients: " + settings.map { "\($0.0) \($0.1.rendered(pretty: false))" }
            .joined(separator: ", ") + "\n"
        out += "# Var[delta_l] pooled over steps and the per-item weight-gradient variance, each relative to the last "
            + "layer; dev = (simulated - predicted) / standard error, against the finite-width prediction where there "
            + "is one\n"
        for c in cells {
            out += "\n" + Self.cellName(c) + "\n"
            let corrected = c.layers.first?.membraneVariance.finiteWidth != nil
            var header = ["layer", "chi", "Var[delta] mean field"]
            if corrected { header += ["finite width"] }
            header += ["simulated", "dev"]
            if corrected { header += ["dev wide"] }
            header += ["Var[dW] mean field"] + (corrected ? ["finite width"] : []) + ["simulated", "dev"]
            let rows = c.layers.map { l -> [String] in
                let m = l.membraneVariance, w = l.weightVariance
                var row = ["\(l.layer)", Self.value(l.chi), Self.value(m.predicted)]
                if corrected { row.append(Self.value(m.finiteWidth)) }
                row += [Self.estimate(m.empirical, m.empiricalError), Self.deviation(m.best.deviation)]
                if corrected { row.append(Self.deviation(m.deviation)) }
                row.append(Self.value(w.predicted))
                if corrected { row.append(Self.value(w.finiteWidth)) }
                row += [Self.estimate(w.empirical, w.empiricalError), Self.deviation(w.best.deviation)]
                return row
            }
            let table = Format.table(header: header, rows: rows)
            out += table + (table.hasSuffix("\n") ? "" : "\n")
            out += "verdict: " + c.verdict + "\n"
        }
        return out
    }

    public func csv() -> String {
        var lines = ["# compare --gradients: " + settings.map { "\($0.0)=\($0.1.rendered(pretty: false))" }
            .joined(separator: " ")]
        lines.append(["width", "theta", "beta", "init", "steps", "surrogate", "reset_grad", "layer", "chi",
                      "delta_variance_predicted", "delta_variance_predicted_error", "delta_variance_finite_width",
                      "delta_variance_simulated", "delta_variance_simulated_stderr", "delta_deviation",
                      "delta_deviation_finite_width", "weight_variance_predicted", "weight_variance_finite_width",
                      "weight_variance_simulated", "weight_variance_simulated_stderr", "weight_deviation",
                      "weight_deviation_finite_width"].joined(separator: ","))
        for c in cells {
            for l in c.layers {
                let m = l.membraneVariance, w = l.weightVariance
                let fields: [String] = [
                    "\(c.cell.width)", Format.exact(c.cell.theta), Format.exact(c.cell.beta), Format.csvField(c.cell.scheme),
                    "\(c.steps)", Format.csvField(c.surrogate), c.resetGradient, "\(l.layer)", Format.exact(l.chi),
                    Format.exact(m.predicted), Format.exact(m.predictedError), Format.exact(m.finiteWidth),
                    Format.exact(m.empirical), Format.exact(m.empiricalError), Format.exact(m.deviation),
                    Format.exact(m.finiteWidthDeviation), Format.exact(w.predicted), Format.exact(w.finiteWidth),
                    Format.exact(w.empirical), Format.exact(w.empiricalError), Format.exact(w.deviation),
                    Format.exact(w.finiteWidthDeviation),
                ]
                lines.append(fields.joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func ratioJSON(_ r: GradientRatioComparison) -> JSON {
        .object([("predicted", .finite(r.predicted)), ("predicted_error", .finite(r.predictedError)),
                 ("finite_width", .finite(r.finiteWidth)), ("simulated", .finite(r.empirical)),
                 ("simulated_stderr", .finite(r.empiricalError)), ("deviation", .finite(r.deviation)),
                 ("finite_width_deviation", .finite(r.finiteWidthDeviation))])
    }

    public func json() -> JSON {
        .object([
            ("command", .string("compare --gradients")),
            ("settings", .object(settings)),
            ("agreement_standard_errors", .number(GradientComparison.agreement)),
            ("cells", .array(cells.map { c in
                .object([
                    ("width", .integer(c.cell.width)), ("theta", .number(c.cell.theta)), ("beta", .number(c.cell.beta)),
                    ("init", .string(c.cell.scheme)), ("steps", .integer(c.steps)), ("surrogate", .string(c.surrogate)),
                    ("reset_grad", .string(c.resetGradient)), ("networks", .integer(c.networks)),
                    ("agreeing_layers", .integer(c.agreeing)), ("agreeing_layers_wide_limit", .integer(c.agreeingWideLimit)),
                    ("worst_deviation", .finite(c.worstDeviation)), ("verdict", .string(c.verdict)),
                    ("layers", .array(c.layers.map { l in
                        .object([("layer", .integer(l.layer)), ("chi", .finite(l.chi)),
                                 ("membrane_variance", Self.ratioJSON(l.membraneVariance)),
                                 ("weight_variance", Self.ratioJSON(l.weightVariance))])
                    })),
                ])
            })),
        ])
    }

    /// Per cell, Var[delta_l] / Var[delta_L] against depth on a log axis: the mean field as a line, the finite-width
    /// correction dashed where it applies, the simulation as markers with two-standard-error bars.
    public func figure() -> any SVGFigure {
        let panels: [any SVGFigure] = cells.enumerated().map { k, c in
            let x = c.layers.map { Double($0.layer) }
            var series = [PlotSeries(name: "mean field", x: x, y: c.layers.map(\.membraneVariance.predicted),
                                     style: .line, colorIndex: 0)]
            if c.layers.first?.membraneVariance.finiteWidth != nil {
                series.append(PlotSeries(name: "finite width", x: x,
                                         y: c.layers.map { $0.membraneVariance.finiteWidth ?? .nan },
                                         style: .line, colorIndex: 2))
            }
            series.append(PlotSeries(name: "simulated (± 2 SE)", x: x, y: c.layers.map(\.membraneVariance.empirical),
                                     yError: c.layers.map { 2 * ($0.membraneVariance.empiricalError ?? 0) },
                                     style: .markers, colorIndex: 1))
            return LinePlot(title: "width \(c.cell.width), θ \(Format.number(c.cell.theta)), T \(c.steps), \(c.surrogate)",
                            xLabel: "layer l", yLabel: "Var[δ_l] / Var[δ_L]", yScale: .log10,
                            legend: k == 0 ? .below : .hidden, width: 420, height: 300, series: series)
        }
        if panels.count == 1 { return panels[0] }
        return SmallMultiples(title: "Gradient variance through depth, predicted and simulated", panels: panels)
    }
}
