import ArgumentParser
import SNNFormats
import SNNModel
import SNNReports
import SNNTheory

struct ValidityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validity",
        abstract: "How wide is wide enough? The smallest width at which the mean field holds, per threshold.",
        discussion: """
        From the exact finite-width chain of the first time step (THEORY.md section 5): the mean field holds at a \
        width when, at the last layer, fewer than --silent-tolerance of the networks are silent and the mean rate \
        over networks is within --tolerance (relative) of the mean-field rate. The smallest such width is found by \
        doubling, then bisection to 1%: the width printed qualifies, and the boundary is less than 1% below it. Also \
        prints the silent probability and rate deviation over a width x threshold grid.

        Examples:
          snn-theory validity --depth 100 --thetas 0.5,0.75,1,1.25,1.5,2
          snn-theory validity --depth 50 --thetas 0.5:2:7 --widths 100,1000,10000 --format json
        """
    )

    @Option(help: "Number of layers L (the criterion is checked at layer L).")
    var depth: Int = 100

    @Option(help: ArgumentHelp("Thresholds: a list 0.5,1,2 (sorted, duplicates dropped), or start:stop:count (add :log for geometric spacing).", valueName: "list|range"))
    var thetas: Parsed<ThresholdGrid> = "0.5,0.75,1,1.25,1.5,2"

    @Option(help: ArgumentHelp("Widths of the grid table, comma-separated.", valueName: "n,n,..."))
    var widths: Parsed<GridWidths> = "100,300,1000,3000,10000"

    @Option(help: "Relative tolerance on the mean rate at the last layer, in (0, 1).")
    var tolerance: Double = 0.05

    @Option(name: .customLong("silent-tolerance"), help: "Largest allowed probability of a silent last layer, in (0, 1).")
    var silentTolerance: Double = 0.01

    @Option(name: .customLong("max-width"), help: "Largest width searched (16 to 65536).")
    var maxWidth: Int = 16384

    @Option(help: ArgumentHelp("Input: bernoulli:P or gaussian:S.", valueName: "kind:value"))
    var input: InputEncoding = .bernoulli(rate: 0.2)

    @Option(help: "Initialization (one scheme).")
    var `init`: InitScheme = .paper

    @Option(name: .customLong("target-variance"), help: "Membrane variance the paper's initialization holds.")
    var targetVariance: Double = 1

    @Option(help: "Output: table, csv or json.")
    var format: OutputFormat = .table

    @Option(help: ArgumentHelp("Also write an SVG heat map of P(silent) over width x theta.", valueName: "file.svg"))
    var plot: String?

    func validate() throws {
        if let plot { try Figures.checkDestination(plot) }
        try ValidityMap.checkSettings(depth: depth, tolerance: tolerance, silentTolerance: silentTolerance,
                                      maximumWidth: maxWidth)
        _ = try InitScheme.checkedTargetVariance(targetVariance)
    }

    func run() throws {
        let map = ValidityMap(depth: depth, input: input, scheme: `init`,
                              targetVariance: targetVariance, tolerance: tolerance, silentTolerance: silentTolerance)
        let thresholds = thetas.value, grid = widths.value
        let progress = ProgressLine.forTerminal(label: "cells")
        let result = Result { try map.grid(thresholds: thresholds, widths: grid, maximumWidth: maxWidth,
                                           progress: progress?.update) }
        progress?.finish()
        let (found, table) = try result.get()
        let report = ValidityReport(map: map, maxWidth: maxWidth, thresholds: thresholds, widths: grid, smallest: found,
                                    cells: table)
        if let plot { try Figures.write(report.figure(), to: plot) }
        print(format.text(json: report.json(), csv: report.csv(), table: report.table()),
              terminator: "")
    }
}

/// `validity --widths`: the grid table's widths.
enum GridWidths: OptionRule {
    static func parse(_ text: String) throws -> [Int] { try GridValues.widths(text) }
}
