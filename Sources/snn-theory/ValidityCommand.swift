import ArgumentParser
import Dispatch
import Foundation
import SNNModel
import SNNFormats
import SNNSupport
import SNNTheory
import SVGPlot

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
        if let plot {
            let heat = HeatMap(
                title: "P(silent at layer \(depth)), exact finite-width chain, \(`init`) init",
                xLabel: "threshold theta", yLabel: "width", colorLabel: "P(silent)",
                x: .categories(thresholds.map { Format.number($0, digits: 3) }), y: .categories(grid.map(String.init)),
                values: grid.indices.map { w in thresholds.indices.map { t in table[t * grid.count + w].silentProbability } },
                colorScale: ColorScale(mode: .sequential, min: 0, max: 1), showValues: true)
            try Figures.write(heat, to: plot)
        }
        switch format {
        case .json: print(json(found, table, grid).rendered())
        case .csv: print(csv(found, table, grid), terminator: "")
        case .table: print(render(found, table, thresholds, grid))
        }
    }

    /// Every parameter of the run, its swept thresholds and widths, and the conventions.
    func modelJSON(_ found: [ValidityThreshold], _ grid: [Int]) -> JSON {
        .object([
        ("tool", .string("snn-theory")), ("version", .string(SNNTheoryCommand.version)),
        ("command", .string("validity")), ("depth", .integer(depth)), ("input", .string(input.description)),
        ("init", .string(`init`.description)), ("target_variance", .number(targetVariance)),
        ("tolerance", .number(tolerance)), ("silent_tolerance", .number(silentTolerance)),
        ("max_width", .integer(maxWidth)),
        ("thetas", .array(found.map { .number($0.theta) })), ("widths", .array(grid.map { .integer($0) })),
        ("theory", .string("exact finite-width chain, first time step")),
        ("conventions", .string(Provenance.firstStepConventions)),
    ])
    }

    func json(_ found: [ValidityThreshold], _ table: [ValidityCell], _ grid: [Int]) -> JSON {
        func cellJSON(_ c: ValidityCell) -> JSON {
            .object([("width", .integer(c.width)), ("theta", .number(c.theta)),
                     ("silent_probability", .number(c.silentProbability)), ("mean_rate", .number(c.meanRate)),
                     ("mean_field_rate", .number(c.meanFieldRate)),
                     ("relative_rate_deviation", .number(c.relativeRateDeviation)), ("holds", .bool(c.holds))])
        }
        return .object([
            ("model", modelJSON(found, grid)),
            ("thresholds", .array(found.map { f in
                .object([("theta", .number(f.theta)), ("fixed_point_slope", .finite(f.fixedPointSlope)),
                         ("smallest_width", f.smallestWidth.map { .integer($0) } ?? .null), ("at", cellJSON(f.cell))])
            })),
            ("grid", .array(table.map(cellJSON))),
        ])
    }

    func csv(_ found: [ValidityThreshold], _ table: [ValidityCell], _ grid: [Int]) -> String {
        var lines = ["# snn-theory \(SNNTheoryCommand.version) validity: depth \(depth), input \(input), init \(`init`), "
            + "tolerance \(tolerance), silent tolerance \(silentTolerance); exact finite-width chain, first time step",
                     "# model: " + modelJSON(found, grid).rendered(pretty: false),
                     "kind,theta,width,silent_probability,mean_rate,mean_field_rate,relative_rate_deviation,holds,fixed_point_slope"]
        for f in found {
            lines.append(["smallest", Format.exact(f.theta), f.smallestWidth.map(String.init) ?? "",
                          Format.exact(f.cell.silentProbability), Format.exact(f.cell.meanRate),
                          Format.exact(f.cell.meanFieldRate), Format.exact(f.cell.relativeRateDeviation),
                          "\(f.cell.holds)", Format.exact(f.fixedPointSlope)].joined(separator: ","))
        }
        for c in table {
            lines.append(["grid", Format.exact(c.theta), "\(c.width)", Format.exact(c.silentProbability),
                          Format.exact(c.meanRate), Format.exact(c.meanFieldRate),
                          Format.exact(c.relativeRateDeviation), "\(c.holds)", ""].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func render(_ found: [ValidityThreshold], _ table: [ValidityCell], _ thresholds: [Double], _ grid: [Int]) -> String {
        var out = [
            "snn-theory \(SNNTheoryCommand.version) validity: exact finite-width chain, first time step, depth \(depth)",
            "criterion at layer \(depth): P(silent) < \(Format.number(silentTolerance)) and mean rate within "
                + "\(Format.number(tolerance * 100))% of the mean field; input \(input), init \(`init`)",
            "",
        ]
        out.append(Format.table(
            header: ["theta", "chi", "smallest width", "P(silent) there", "rate vs mean field"],
            rows: found.map { f in
                [Format.number(f.theta), f.fixedPointSlope.map { Format.number($0) } ?? "-",
                 f.smallestWidth.map(String.init) ?? "none <= \(maxWidth)",
                 Format.number(f.cell.silentProbability, digits: 3),
                 String(format: "%+.2f%%", 100 * f.cell.relativeRateDeviation)]
            }))
        out.append("")
        out.append("P(silent at layer \(depth)) / rate deviation, width x theta:")
        out.append(Format.table(
            header: ["width \\ theta"] + thresholds.map { Format.number($0) },
            rows: grid.indices.map { w in
                ["\(grid[w])"] + thresholds.indices.map { t in
                    let c = table[t * grid.count + w]
                    return "\(Format.number(c.silentProbability, digits: 2)) / \(String(format: "%+.1f%%", 100 * c.relativeRateDeviation))"
                        + (c.holds ? "" : " x")
                }
            }))
        out.append("(x: the mean field does not hold there)")
        out.append("")
        if `init` == .paper {
            out.append("The paper's claim, Var[u] held at any depth, is a wide-layer statement: it holds where a width "
                + "is listed above. Where chi > 1 (theta above 1.19 standard deviations) the fixed point is unstable: "
                + "networks end silent or saturated at any width, so no width up to the search limit qualifies.")
        } else {
            out.append("Where no width qualifies with chi < 1, the initialization itself lets the activity fade (or "
                + "grow) in the mean field; more width does not help.")
        }
        return out.joined(separator: "\n")
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
