import ArgumentParser
import SNNFormats
import SNNModel
import SNNReports
import SNNTheory

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
        try PhaseDiagram.checkGrid(axis: axis, thetas: thetas.value, scales: scales(), width: network.width,
                                   input: network.input)
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
        let progress = ProgressLine.forTerminal(label: "cells")
        let cells = try diagram.cells(thetas: thetaValues, scales: scaleValues, progress: progress?.update)
        let steps = network.steps
        // validate() checked beta with the neuron of the multi-step slope.
        let slopes = steps > 1
            ? try diagram.kernelMapSlopes(thetas: thetaValues, scales: scaleValues, leak: network.beta,
                                          reset: network.reset, steps: steps,
                                          settings: network.temporal.settings(steps: steps,
                                                                              layerEvaluations: layerEvaluations()),
                                          progress: progress?.update)
            : nil
        progress?.finish()
        let report = try PhaseReport(diagram: diagram, thetas: thetaValues, scales: scaleValues, cells: cells,
                                     slopes: slopes, beta: network.beta, reset: network.reset, steps: steps,
                                     settings: try network.reportedSettings())
        if let plot { try Figures.write(report.figure(), to: plot) }
        print(format.text(json: report.json(), csv: report.csv(), table: report.table()),
              terminator: "")
    }
}
