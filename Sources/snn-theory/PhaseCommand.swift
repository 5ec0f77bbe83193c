import ArgumentParser
import Foundation
import SNNModel
import SNNFormats
import SNNTheory
import SVGPlot

struct PhaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phase",
        abstract: "Depth stability: where activity vanishes, is held, saturates or splits, over threshold x target variance.",
        discussion: """
        The phase diagram of the paper's initialization at the first time step (THEORY.md section 3, "Stability of \
        the fixed point"): per threshold and target variance sigma_t^2 (or, with --weight-scales, a fixed scale \
        Var[w] = sigma_w^2 / n_in), the slope chi of the variance map at the operating point, and from the exact \
        finite-width chain (section 5) the probabilities that layer --depth is silent and that it runs at more than \
        twice the mean-field rate (saturated). Phase at that depth, with --tolerance p: held (both below p), vanishes \
        (only silence reaches p), saturates (only saturation does), bistable (both do: an unstable fixed point). The \
        critical line chi = 1 is theta / sigma_t = 1.19060 (sigma_w = 2.457 theta). With --steps T > 1 every cell \
        also gets a numerical estimate of the slope of the multi-step kernel map (see `snn-theory advise --help`).

        Examples:
          snn-theory phase
          snn-theory phase --thetas 0.2:2.5:50 --target-variances 0.1:10:50:log --plot phase.svg --format csv
          snn-theory phase --weight-scales 0.5:8:30:log --thetas 0.25:2:8
        """
    )

    @Option(help: ArgumentHelp("Thresholds: a list 0.5,1,2, or start:stop:count (add :log for geometric spacing).",
                               valueName: "list|range"))
    var thetas: Parsed<ThresholdGrid> = "0.25:2.5:10"

    @Option(name: .customLong("target-variances"),
            help: ArgumentHelp("Target variances sigma_t^2 of the paper's initialization: a list or a range as for --thetas.",
                               valueName: "list|range"))
    var targetVariances: Parsed<TargetVarianceGrid> = "0.25:4:9:log"

    @Option(name: .customLong("weight-scales"),
            help: ArgumentHelp("Instead of target variances: fixed weight scales sigma_w, Var[w] = sigma_w^2 / n_in.",
                               valueName: "list|range"))
    var weightScales: Parsed<WeightScaleGrid>?

    @Option(help: "Layer at which the chain is read (2 to 10000).")
    var depth: Int = 100

    @Option(help: "Probability of a silent (saturated) last layer from which a cell vanishes (saturates), in (0, 1).")
    var tolerance: Double = 0.01

    @OptionGroup var network: StabilityOptions

    @Option(help: "Output: table (a coarse view), csv or json (every cell).")
    var format: OutputFormat = .table

    @Option(help: ArgumentHelp("Also write an SVG heat map of P(silent) and P(saturated) with the critical line chi = 1.",
                               valueName: "file.svg"))
    var plot: String?

    func validate() throws {
        if let plot { try Figures.checkDestination(plot) }
        let thetaValues = thetas.value, scaleValues = scales()
        for theta in thetaValues where !NeuronModel.thresholdRange.contains(theta) {
            throw ModelError.invalid(parameter: "thetas", value: "\(theta)", allowed: "thresholds in [1e-6, 1e6]")
        }
        switch axis {
        case .targetVariance:
            for v in scaleValues { _ = try InitScheme.checkedTargetVariance(v, parameter: "target-variances") }
            // Every cell's paper scales must be finite: Q(theta / sigma_t) underflows to 0 past about 38.5.
            let architecture = try Architecture(inputSize: network.width, width: network.width, depth: 2)
            for theta in thetaValues {
                for v in scaleValues {
                    _ = try WeightVariance.checked(.paper, architecture: architecture,
                                                   neuron: NeuronModel(threshold: theta),
                                                   input: network.input, targetVariance: v)
                }
            }
        case .weightScale:
            for s in scaleValues where !InitScheme.weightScaleRange.contains(s) {
                throw ModelError.invalid(parameter: "weight-scales", value: "\(s)", allowed: "scales in [1e-6, 1e6]")
            }
        }
        _ = try diagram()
        try network.validate(layerEvaluations: layerEvaluations())
    }

    /// Multi-step layer evaluations: each cell's slope propagates the kernel through every layer about 3 times.
    func layerEvaluations() throws -> Int {
        let cells = thetas.value.count * scales().count
        return cells * depth * 3
    }

    var axis: PhaseAxis { weightScales == nil ? .targetVariance : .weightScale }

    func scales() -> [Double] {
        weightScales?.value ?? targetVariances.value
    }

    func diagram() throws -> PhaseDiagram {
        try network.diagram(axis: axis, depth: depth, tolerance: tolerance)
    }

    func run() throws {
        let diagram = try diagram()
        let thetaValues = thetas.value, scaleValues = scales()
        let progress = Progress.forTerminal(label: "cells")
        let cells = try diagram.cells(thetas: thetaValues, scales: scaleValues, progress: progress?.update)
        var slopes: [KernelMapSlope]?
        let steps = network.steps
        if steps > 1 {
            let response = try network.neuron(threshold: 1)
            let settings = try network.temporal.settings(steps: steps, layerEvaluations: layerEvaluations())
            slopes = try diagram.kernelMapSlopes(thetas: thetaValues, scales: scaleValues, leak: response.leak,
                                                 reset: response.reset, steps: steps, settings: settings,
                                                 progress: progress?.update)
        }
        progress?.finish()
        let report = try PhaseReport(diagram: diagram, thetas: thetaValues, scales: scaleValues, cells: cells,
                                     slopes: slopes, beta: network.beta, reset: network.reset, steps: steps,
                                     settings: try network.reportedSettings())
        if let plot { try Figures.write(report.figure(), to: plot) }
        switch format {
        case .json: print(report.json().rendered())
        case .csv: print(report.csv(), terminator: "")
        case .table: print(report.table())
        }
    }
}

/// The phase diagram's cells in the shapes the formats need.
struct PhaseReport {
    let diagram: PhaseDiagram
    let thetas: [Double]
    let scales: [Double]
    /// Scale-major: cells[s * thetas.count + t].
    let cells: [PhaseCell]
    /// The multi-step kernel map's slope per cell (same order), with --steps > 1.
    let slopes: [KernelMapSlope]?
    let beta: Double
    let reset: Reset
    let criticalThresholdOverSigma: Double
    let steps: Int
    let settings: TemporalKernelSettings?

    init(diagram: PhaseDiagram, thetas: [Double], scales: [Double], cells: [PhaseCell], slopes: [KernelMapSlope]? = nil,
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
            "snn-theory \(SNNTheoryCommand.version) phase: first time step, \(what)",
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

    func table() -> String {
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

    func json() -> JSON {
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
        ("tool", .string("snn-theory")), ("version", .string(SNNTheoryCommand.version)),
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

    func csv() -> String {
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
    func figure() -> any SVGFigure {
        // Category axes keep the tick labels short (3 significant figures); overlays are placed on them by the
        // positions the value axes would give (log-interpolated along a geometric grid).
        let xValues = HeatMapAxis.values(thetas), yValues = HeatMapAxis.values(scales, log: GridValues.isGeometric(scales))
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
}
