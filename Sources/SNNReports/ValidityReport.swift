import Foundation
import SNNModel
import SNNFormats
import SNNTheory
import SVGPlot

/// `validity`'s result: per threshold the smallest width at which the mean field holds, and the width x threshold
/// grid, as JSON, CSV, a table or a heat map of P(silent).
public struct ValidityReport {
    /// The criterion and the network it was evaluated for.
    public let map: ValidityMap
    /// The largest width searched.
    public let maxWidth: Int
    public let thresholds: [Double]
    /// The grid's widths.
    public let widths: [Int]
    /// The search's result per threshold, in the order of `thresholds`.
    public let smallest: [ValidityThreshold]
    /// Threshold-major: cells[t * widths.count + w].
    public let cells: [ValidityCell]

    public init(map: ValidityMap, maxWidth: Int, thresholds: [Double], widths: [Int], smallest: [ValidityThreshold],
                cells: [ValidityCell])
    {
        self.map = map
        self.maxWidth = maxWidth
        self.thresholds = thresholds
        self.widths = widths
        self.smallest = smallest
        self.cells = cells
    }

    /// Every parameter of the run, its swept thresholds and widths, and the conventions.
    var modelJSON: JSON {
        .object([
            ("tool", .string("snn-theory")), ("version", .string(ToolVersion.current)),
            ("command", .string("validity")), ("depth", .integer(map.depth)), ("input", .string(map.input.description)),
            ("init", .string(map.scheme.description)), ("target_variance", .number(map.targetVariance)),
            ("tolerance", .number(map.tolerance)), ("silent_tolerance", .number(map.silentTolerance)),
            ("max_width", .integer(maxWidth)),
            ("thetas", .array(smallest.map { .number($0.theta) })), ("widths", .array(widths.map { .integer($0) })),
            ("theory", .string("exact finite-width chain, first time step")),
            ("conventions", .string(Provenance.firstStepConventions)),
        ])
    }

    public func json() -> JSON {
        func cellJSON(_ c: ValidityCell) -> JSON {
            .object([("width", .integer(c.width)), ("theta", .number(c.theta)),
                     ("silent_probability", .number(c.silentProbability)), ("mean_rate", .number(c.meanRate)),
                     ("mean_field_rate", .number(c.meanFieldRate)),
                     ("relative_rate_deviation", .number(c.relativeRateDeviation)), ("holds", .bool(c.holds))])
        }
        return .object([
            ("model", modelJSON),
            ("thresholds", .array(smallest.map { f in
                .object([("theta", .number(f.theta)), ("fixed_point_slope", .finite(f.fixedPointSlope)),
                         ("smallest_width", f.smallestWidth.map { .integer($0) } ?? .null), ("at", cellJSON(f.cell))])
            })),
            ("grid", .array(cells.map(cellJSON))),
        ])
    }

    public func csv() -> String {
        var lines = ["# snn-theory \(ToolVersion.current) validity: depth \(map.depth), input \(map.input), init \(map.scheme), "
            + "tolerance \(map.tolerance), silent tolerance \(map.silentTolerance); exact finite-width chain, first time step",
                     "# model: " + modelJSON.rendered(pretty: false),
                     "kind,theta,width,silent_probability,mean_rate,mean_field_rate,relative_rate_deviation,holds,fixed_point_slope"]
        for f in smallest {
            lines.append(["smallest", Format.exact(f.theta), f.smallestWidth.map(String.init) ?? "",
                          Format.exact(f.cell.silentProbability), Format.exact(f.cell.meanRate),
                          Format.exact(f.cell.meanFieldRate), Format.exact(f.cell.relativeRateDeviation),
                          "\(f.cell.holds)", Format.exact(f.fixedPointSlope)].joined(separator: ","))
        }
        for c in cells {
            lines.append(["grid", Format.exact(c.theta), "\(c.width)", Format.exact(c.silentProbability),
                          Format.exact(c.meanRate), Format.exact(c.meanFieldRate),
                          Format.exact(c.relativeRateDeviation), "\(c.holds)", ""].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public func table() -> String {
        var out = [
            "snn-theory \(ToolVersion.current) validity: exact finite-width chain, first time step, depth \(map.depth)",
            "criterion at layer \(map.depth): P(silent) < \(Format.number(map.silentTolerance)) and mean rate within "
                + "\(Format.number(map.tolerance * 100))% of the mean field; input \(map.input), init \(map.scheme)",
            "",
        ]
        out.append(Format.table(
            header: ["theta", "chi", "smallest width", "P(silent) there", "rate vs mean field"],
            rows: smallest.map { f in
                [Format.number(f.theta), f.fixedPointSlope.map { Format.number($0) } ?? "-",
                 f.smallestWidth.map(String.init) ?? "none <= \(maxWidth)",
                 Format.number(f.cell.silentProbability, digits: 3),
                 String(format: "%+.2f%%", 100 * f.cell.relativeRateDeviation)]
            }))
        out.append("")
        out.append("P(silent at layer \(map.depth)) / rate deviation, width x theta:")
        out.append(Format.table(
            header: ["width \\ theta"] + thresholds.map { Format.number($0) },
            rows: widths.indices.map { w in
                ["\(widths[w])"] + thresholds.indices.map { t in
                    let c = cells[t * widths.count + w]
                    return "\(Format.number(c.silentProbability, digits: 2)) / \(String(format: "%+.1f%%", 100 * c.relativeRateDeviation))"
                        + (c.holds ? "" : " x")
                }
            }))
        out.append("(x: the mean field does not hold there)")
        out.append("")
        if map.scheme == .paper {
            out.append("The paper's claim, Var[u] held at any depth, is a wide-layer statement: it holds where a width "
                + "is listed above. Where chi > 1 (theta above 1.19 standard deviations) the fixed point is unstable: "
                + "networks end silent or saturated at any width, so no width up to the search limit qualifies.")
        } else {
            out.append("Where no width qualifies with chi < 1, the initialization itself lets the activity fade (or "
                + "grow) in the mean field; more width does not help.")
        }
        return out.joined(separator: "\n")
    }

    /// P(silent) at the last layer over width x threshold, each cell labelled.
    public func figure() -> any SVGFigure {
        HeatMap(
            title: "P(silent at layer \(map.depth)), exact finite-width chain, \(map.scheme) init",
            xLabel: "threshold theta", yLabel: "width", colorLabel: "P(silent)",
            x: .categories(thresholds.map { Format.number($0, digits: 3) }), y: .categories(widths.map(String.init)),
            values: widths.indices.map { w in thresholds.indices.map { t in cells[t * widths.count + w].silentProbability } },
            colorScale: ColorScale(mode: .sequential, min: 0, max: 1), showValues: true)
    }
}
