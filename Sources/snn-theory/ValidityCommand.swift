import ArgumentParser
import Dispatch
import SNNModel
import SNNReports
import SNNSupport
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
        guard depth >= 1, depth <= 10_000 else {
            throw ModelError.invalid(parameter: "depth", value: "\(depth)", allowed: "an integer from 1 to 10000")
        }
        guard tolerance > 0, tolerance < 1 else {
            throw ModelError.invalid(parameter: "tolerance", value: "\(tolerance)", allowed: "a number in (0, 1)")
        }
        guard silentTolerance > 0, silentTolerance < 1 else {
            throw ModelError.invalid(parameter: "silent-tolerance", value: "\(silentTolerance)", allowed: "a number in (0, 1)")
        }
        guard maxWidth >= 16, maxWidth <= 65536 else {
            throw ModelError.invalid(parameter: "max-width", value: "\(maxWidth)", allowed: "an integer from 16 to 65536")
        }
        _ = try InitScheme.checkedTargetVariance(targetVariance)
    }

    func run() throws {
        let map = ValidityMap(depth: depth, input: input, scheme: `init`,
                              targetVariance: targetVariance, tolerance: tolerance, silentTolerance: silentTolerance)
        let thresholds = thetas.value, grid = widths.value
        // Cells are independent: evaluate them concurrently, each into its own slot.
        let searches = SlotArray<Result<ValidityThreshold, any Error>>(count: thresholds.count)
        let cells = SlotArray<Result<ValidityCell, any Error>>(count: thresholds.count * grid.count)
        let progress = Progress.forTerminal(label: "cells")
        let total = thresholds.count * (grid.count + 1)
        let done = SlotArray<Bool>(count: total)
        DispatchQueue.concurrentPerform(iterations: total) { i in
            if i < thresholds.count {
                searches.set(i, Result { try map.smallestWidth(theta: thresholds[i], maximumWidth: maxWidth) })
            } else {
                let j = i - thresholds.count
                cells.set(j, Result { try map.evaluate(width: grid[j % grid.count], theta: thresholds[j / grid.count]) })
            }
            progress?.update(done.set(i, true), total)
        }
        progress?.finish()
        let found = try searches.successes()
        let table = try cells.successes()
        let report = ValidityReport(depth: depth, input: input, scheme: `init`, targetVariance: targetVariance,
                                    tolerance: tolerance, silentTolerance: silentTolerance, maxWidth: maxWidth,
                                    thresholds: thresholds, widths: grid, smallest: found, cells: table)
        if let plot { try Figures.write(report.figure(), to: plot) }
        switch format {
        case .json: print(report.json().rendered())
        case .csv: print(report.csv(), terminator: "")
        case .table: print(report.table())
        }
    }
}

/// `validity --widths`: the grid table's widths.
enum GridWidths: OptionRule {
    static func parse(_ text: String) throws -> [Int] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
        let values = items.compactMap { Int($0).flatMap { $0 >= 1 && $0 <= 65536 ? $0 : nil } }
        guard !items.isEmpty, values.count == items.count else {
            throw ModelError.invalid(parameter: "widths", value: text, allowed: "comma-separated integers from 1 to 65536")
        }
        return values
    }
}
