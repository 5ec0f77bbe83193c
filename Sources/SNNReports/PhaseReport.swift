import Foundation
import SNNModel
import SNNFormats
import SNNTheory
import SVGPlot

/// The phase diagram's cells in the shapes the formats need.
public struct PhaseReport {
    public let diagram: PhaseDiagram
    public let thetas: [Double]
    public let scales: [Double]
    /// Scale-major: cells[s * thetas.count + t].
    public let cells: [PhaseCell]
    /// The multi-step kernel map's slope per cell (same order), with --steps > 1.
    public let slopes: [KernelMapSlope]?
    public let beta: Double
    public let reset: Reset
    public let criticalThresholdOverSigma: Double
    public let steps: Int
    public let settings: TemporalKernelSettings?

    public init(diagram: PhaseDiagram, thetas: [Double], scales: [Double], cells: [PhaseCell], slopes: [KernelMapSlope]? = nil,
         beta: Double = 0.9, reset: Reset = .subtract, steps: Int = 1, settings: TemporalKernelSettings? = nil) throws {
        self.steps = steps
        self.settings = settings
        self.diagram = diagram
        self.thetas = thetas
        self.scales = scales
        self.cells = cells
        self.slopes = slopes
        self.beta = beta
        self.reset = reset
        criticalThresholdOverSigma = try VarianceRecursion.criticalThresholdOverSigma()
    }

    var multiStepLine: String? {
        guard let first = slopes?.first else { return nil }
        return "multi-step (T = \(first.steps), beta \(Format.number(beta)), reset \(reset)): kernel-map slope at layer "
            + "\(diagram.depth) (or where rounding leaves an unstable fixed point), a numerical estimate ± error "
            + "(`snn-theory advise --help`)"
    }

    var scaleName: String { diagram.axis == .targetVariance ? "target variance" : "weight scale sigma_w" }
    var scaleKey: String { diagram.axis == .targetVariance ? "target_variance" : "weight_scale" }

    func cell(_ t: Int, _ s: Int) -> PhaseCell { cells[s * thetas.count + t] }

    var criticalLineText: String {
        let x = criticalThresholdOverSigma
        switch diagram.axis {
        case .targetVariance:
            return "critical line chi = 1: theta / sigma_t = \(String(format: "%.5f", x)), i.e. target variance "
                + "\(Format.number(1 / (x * x), digits: 4)) theta^2 (stable above it)"
        case .weightScale:
            let s = 1 / (x * StandardNormal.tail(x).squareRoot())
            return "critical line chi = 1: sigma_w = \(Format.number(s, digits: 4)) theta (below it no non-zero "
                + "fixed point: activity vanishes with depth)"
        }
    }

    var headerLines: [String] {
        let what = diagram.axis == .targetVariance
            ? "paper's initialization over threshold x target variance"
            : "fixed weight scale (Var[w] = sigma_w^2 / n_in) over threshold x sigma_w"
        return [
            "snn-theory \(ToolVersion.current) phase: first time step, \(what)",
            "network: \(diagram.depth) layers of width \(diagram.width) (input \(diagram.width)), input "
                + "\(diagram.input); exact finite-width chain read at layer \(diagram.depth)",
            criticalLineText,
            "phase at layer \(diagram.depth) (tolerance \(Format.number(diagram.tolerance))): held = P(silent) and "
                + "P(saturated) below it; vanishes / saturates = only one reaches it; bistable = both do",
        ] + (multiStepLine.map { [$0] } ?? [])
    }

    static func letter(_ phase: StabilityPhase) -> String {
        switch phase {
        case .held: "H"
        case .vanishes: "V"
        case .saturates: "S"
        case .bistable: "B"
        }
    }

    /// Up to `limit` indices spread evenly over 0..<count, first and last included.
    static func subsample(_ count: Int, limit: Int) -> [Int] {
        guard count > limit else { return Array(0..<count) }
        var picked: [Int] = []
        for i in 0..<limit {
            let index = Int((Double(i) * Double(count - 1) / Double(limit - 1)).rounded())
            if picked.last != index { picked.append(index) }
        }
        return picked
    }

    public func table() -> String {
        var out = headerLines + [""]
        let columns = Self.subsample(thetas.count, limit: 8), rows = Self.subsample(scales.count, limit: 12)
        let coarse = columns.count < thetas.count || rows.count < scales.count
        out.append("P(silent) / P(saturated) at layer \(diagram.depth), phase (H held, V vanishes, S saturates, "
            + "B bistable), * where chi > 1" + (coarse ? "; a subsample of the grid (csv or json: every cell)" : "") + ":")
        out.append(Format.table(
            header: ["\(scaleName) \\ theta"] + columns.map { Format.number(thetas[$0]) },
            rows: rows.reversed().map { s in
                [Format.number(scales[s])] + columns.map { t in
                    let c = cell(t, s)
                    return "\(Format.number(c.silentProbability, digits: 2)) / "
                        + "\(Format.number(c.saturatedProbability, digits: 2)) \(Self.letter(c.phase))"
                        + (c.isStable ? " " : "*")
                }
            }))
        if let slopes {
            out.append("")
            out.append("kernel-map slope (T = \(slopes[0].steps)), numerical estimate ± error:")
            out.append(Format.table(
                header: ["\(scaleName) \\ theta"] + columns.map { Format.number(thetas[$0]) },
                rows: rows.reversed().map { s in
                    [Format.number(scales[s])] + columns.map { t in AdviceReport.slopeText(slopes[s * thetas.count + t]) }
                }))
        }
        out.append("")
        var counts: [String] = []
        for phase in StabilityPhase.allCases {
            let n = cells.filter { $0.phase == phase }.count
            if n > 0 { counts.append("\(phase.rawValue) \(n)") }
        }
        out.append("cells: \(cells.count) (\(counts.joined(separator: ", ")))")
        if diagram.axis == .targetVariance, let unit = scales.firstIndex(of: 1) {
            out.append(paperLine(unit))
        }
        return out.joined(separator: "\n")
    }

    /// The paper's default, target variance 1, along the thresholds.
    func paperLine(_ s: Int) -> String {
        let row = thetas.indices.map { cell($0, s) }
        let held = row.filter { $0.phase == .held }.map(\.theta)
        var text = "the paper's default (target variance 1): "
        if let last = held.last {
            text += "held up to theta \(Format.number(last))"
        } else {
            text += "held at none of these thresholds"
        }
        if let split = row.first(where: { $0.phase == .bistable }) {
            text += "; bistable from theta \(Format.number(split.theta)) (P(silent) "
                + "\(Format.number(split.silentProbability, digits: 3)), P(saturated) "
                + "\(Format.number(split.saturatedProbability, digits: 3)), chi \(Format.number(split.fixedPointSlope, digits: 3)))"
        }
        return text
    }

    func cellFields(_ i: Int) -> [(String, JSON)] {
        let c = cells[i]
        var fields: [(String, JSON)] = [
            ("theta", .number(c.theta)), (scaleKey, .number(c.scale)), ("chi", .number(c.fixedPointSlope)),
            ("depth_scale", .finite(c.depthScale)), ("phase", .string(c.phase.rawValue)),
            ("silent_probability", .number(c.silentProbability)),
            ("saturated_probability", .number(c.saturatedProbability)), ("mean_field_rate", .number(c.meanFieldRate)),
            ("stable", .bool(c.isStable)),
        ]
        if let s = slopes?[i] {
            fields += [("kernel_slope", .number(s.value)), ("kernel_slope_error", .number(s.error)),
                       ("kernel_slope_layer", .integer(s.layer))]
        }
        return fields
    }

    public func json() -> JSON {
        .object([
            ("model", modelJSON),
            ("critical_line", .array(thetas.map { theta in
                .object([("theta", .number(theta)), (scaleKey, .finite(try? diagram.criticalScale(theta: theta)))])
            })),
            ("cells", .array(cells.indices.map { .object(cellFields($0)) })),
        ])
    }

    /// Every parameter of the run, its swept axes, and the conventions.
    var modelJSON: JSON {
        .object([
        ("tool", .string("snn-theory")), ("version", .string(ToolVersion.current)),
        ("command", .string("phase")),
        ("theory", .string("first time step: mean-field slope chi; exact finite-width chain at the last layer")),
        ("axis", .string(diagram.axis.rawValue)), ("depth", .integer(diagram.depth)),
        ("width", .integer(diagram.width)), ("input", .string(diagram.input.description)),
        ("tolerance", .number(diagram.tolerance)),
        ("negligible_probability", .number(diagram.negligibleProbability)),
        ("critical_threshold_over_sigma", .number(criticalThresholdOverSigma)),
        ("thetas", .array(thetas.map { .number($0) })), (scaleKey + "s", .array(scales.map { .number($0) })),
        ("steps", .integer(steps)), ("beta", .number(beta)), ("reset", .string(reset.rawValue)),
        ("conventions", .string(steps > 1 ? Provenance.conventions(reset: reset.rawValue) : Provenance.firstStepConventions)),
    ] + Provenance.temporalFields(settings, steps: steps))
    }

    public func csv() -> String {
        var lines = headerLines.map { "# " + $0 }
        lines.append("# model: " + modelJSON.rendered(pretty: false))
        lines.append("theta,\(scaleKey),chi,depth_scale,phase,silent_probability,saturated_probability,"
            + "mean_field_rate,stable" + (slopes == nil ? "" : ",kernel_slope,kernel_slope_error,kernel_slope_layer"))
        for (i, c) in cells.enumerated() {
            var fields = [Format.exact(c.theta), Format.exact(c.scale), Format.exact(c.fixedPointSlope),
                          Format.exact(c.depthScale), c.phase.rawValue, Format.exact(c.silentProbability),
                          Format.exact(c.saturatedProbability), Format.exact(c.meanFieldRate), "\(c.isStable)"]
            if let s = slopes?[i] { fields += [Format.exact(s.value), Format.exact(s.error), "\(s.layer)"] }
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// P(silent) and P(saturated) side by side on a log colour scale, with the critical line and the paper's default.
    public func figure() -> any SVGFigure {
        // Category axes keep the tick labels short (3 significant figures); overlays are placed on them by the
        // positions the value axes would give (log-interpolated along a geometric grid).
        let xValues = HeatMapAxis.values(thetas), yValues = HeatMapAxis.values(scales, log: Self.isGeometric(scales))
        let x = HeatMapAxis.categories(thetas.map { Format.number($0, digits: 3) })
        let y = HeatMapAxis.categories(scales.map { Format.number($0, digits: 3) })
        func overlay(_ name: String, _ xs: [Double], _ ys: [Double], dashed: Bool = false) -> HeatMapOverlay {
            HeatMapOverlay(name: name, x: xs.map { xValues.position(of: $0) ?? .nan },
                           y: ys.map { yValues.position(of: $0) ?? .nan }, dashed: dashed)
        }
        // The critical line, sampled finely across the threshold range so it stays a smooth curve.
        let lo = thetas.min()!, hi = thetas.max()!
        let lineThetas = (0...200).map { lo + (hi - lo) * Double($0) / 200 }
        var overlays = [overlay("chi = 1 (critical)", lineThetas,
                                lineThetas.map { (try? diagram.criticalScale(theta: $0)) ?? .nan })]
        switch diagram.axis {
        case .targetVariance:
            overlays.append(overlay("paper's default: target variance 1", [lo, hi], [1, 1], dashed: true))
        case .weightScale:
            overlays.append(overlay("paper's init, target variance 1", lineThetas,
                                    lineThetas.map { 1 / StandardNormal.tail($0).squareRoot() }, dashed: true))
        }
        let floor = 1e-4
        func panel(_ title: String, _ label: String, _ value: (PhaseCell) -> Double) -> HeatMap {
            HeatMap(title: title, xLabel: "threshold theta", yLabel: scaleName, colorLabel: label, x: x, y: y,
                    values: scales.indices.map { s in thetas.indices.map { t in max(value(cell(t, s)), floor) } },
                    colorScale: ColorScale(mode: .sequential, log: true, min: floor, max: 1), overlays: overlays,
                    width: 560, height: 460)
        }
        return SmallMultiples(
            title: "Depth stability at layer \(diagram.depth), width \(diagram.width): exact finite-width chain, first time step",
            panels: [
                panel("P(silent at layer \(diagram.depth))", "P(silent), values below 1e-4 at the floor",
                      \.silentProbability),
                panel("P(rate > 2x mean field at layer \(diagram.depth))", "P(saturated), values below 1e-4 at the floor",
                      \.saturatedProbability),
            ])
    }

    /// Whether the values are spaced geometrically (a log axis shows them evenly) rather than evenly.
    static func isGeometric(_ values: [Double]) -> Bool {
        guard values.count >= 3 else { return false }
        let ratios = zip(values.dropFirst(), values).map { $0 / $1 }
        let differences = zip(values.dropFirst(), values).map { $0 - $1 }
        let ratioSpread = (ratios.max()! - ratios.min()!) / ratios.max()!
        let differenceSpread = (differences.max()! - differences.min()!) / abs(differences.max()!)
        return ratioSpread < differenceSpread
    }
}
