import Foundation
import SNNFormats
import SNNVerification

/// What `compare` and `merge` print: the cells of a sweep (as their records hold them) under the sweep's settings, as
/// a table for people, CSV or JSON. Every number a verdict names is in the CSV and JSON as well.
public struct CompareReport: Sendable {
    /// The sweep's header (`SweepHeader.make`).
    public let model: JSON
    public let cells: [CellComparison]
    public let tolerance: Double
    /// The tool's version, named in the table's title.
    public let version: String

    public init(model: JSON, cells: [CellComparison], tolerance: Double, version: String) {
        self.model = model
        self.cells = cells
        self.tolerance = tolerance
        self.version = version
    }

    /// Whether the sweep has T > 1 steps, and so a time-averaged comparison.
    private var timeAveraged: Bool {
        guard case let .integer(steps)? = model["steps"] else { return false }
        return steps > 1
    }

    /// The report in `format`, without a final newline (`print` adds it).
    public func render(_ format: OutputFormat) -> String {
        switch format {
        case .json: json()
        case .csv: csv()
        case .table: table()
        }
    }

    /// `{"model": {...}, "cells": [...]}`: each cell's fields as its record holds them (`CellRecord.fields`).
    public func json() -> String {
        JSON.object([("model", model), ("cells", .array(cells.map { .object(CellRecord.fields($0)) }))]).rendered()
    }

    /// One row per cell and layer, under a comment line with the settings.
    public func csv() -> String {
        var lines = ["# " + model.rendered(pretty: false)]
        lines.append("width,theta,beta,init,layer,predicted_membrane_variance,predicted_rate,finite_width_rate,"
            + "silent_probability,empirical_membrane_variance,empirical_membrane_variance_stderr,empirical_rate,"
            + "empirical_rate_stderr,empirical_silent_fraction,relative_variance_deviation,rate_deviation_stderr,"
            + "rate_deviation_stderr_finite_width" + (timeAveraged ? ",predicted_time_averaged_rate,"
                + "predicted_time_averaged_rate_stderr,empirical_time_averaged_rate,empirical_time_averaged_rate_stderr,"
                + "empirical_time_averaged_rate_spread,relative_time_averaged_rate_deviation,"
                + "time_averaged_rate_deviation_stderr" : ""))
        for c in cells {
            for l in c.layers {
                let a = l.timeAveraged
                let averaged = timeAveraged ? [
                    Format.exact(a?.predictedRate), Format.exact(a?.predictedRateError), Format.exact(a?.empiricalRate),
                    Format.exact(a?.empiricalRateError), Format.exact(a?.empiricalSpread),
                    Format.exact(a?.relativeDeviation), Format.exact(a?.deviationInStandardErrors),
                ] : []
                lines.append(([
                    "\(c.cell.width)", Format.exact(c.cell.theta), Format.exact(c.cell.beta), c.cell.scheme, "\(l.layer)",
                    Format.exact(l.predictedVariance), Format.exact(l.predictedRate), Format.exact(l.finiteWidthRate),
                    Format.exact(l.finiteWidthSilentProbability), Format.exact(l.empiricalVariance),
                    Format.exact(l.empiricalVarianceError), Format.exact(l.empiricalRate),
                    Format.exact(l.empiricalRateError), Format.exact(l.empiricalSilentFraction),
                    Format.exact(l.relativeVarianceDeviation), Format.exact(l.rateDeviationInStandardErrors),
                    Format.exact(l.finiteWidthRateDeviationInStandardErrors),
                ] + averaged).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// width x theta, one block per (beta, init): the depth to which the theory holds and the worst deviation.
    public func table() -> String {
        var out = ["snn-theory \(version) compare: mean field against simulation at t = 1 "
            + "(a layer agrees within \(Format.number(tolerance * 100))% + 3 standard errors, at most 1% of networks "
            + "silent)"]
        var blocks: [(Double, String)] = []
        for c in cells where !blocks.contains(where: { $0.0 == c.cell.beta && $0.1 == c.cell.scheme }) {
            blocks.append((c.cell.beta, c.cell.scheme))
        }
        for (beta, scheme) in blocks {
            let group = cells.filter { $0.cell.beta == beta && $0.cell.scheme == scheme }
            var widths: [Int] = [], thetas: [Double] = []
            for c in group {
                if !widths.contains(c.cell.width) { widths.append(c.cell.width) }
                if !thetas.contains(c.cell.theta) { thetas.append(c.cell.theta) }
            }
            out.append("")
            out.append("init \(scheme), beta \(Format.number(beta)): holds to depth (worst rate deviation in standard errors)")
            let rows = widths.map { w in
                ["\(w)"] + thetas.map { t in
                    guard let c = group.first(where: { $0.cell.width == w && $0.cell.theta == t }) else { return "-" }
                    let depth = c.layers.count
                    let held = c.holdsToDepth == depth ? "all \(depth)" : "\(c.holdsToDepth)"
                    return "\(held) (\(Format.number(c.worstRateDeviation, digits: 2)))"
                }
            }
            out.append(Format.table(header: ["width \\ theta"] + thetas.map { Format.number($0) }, rows: rows))
        }
        if timeAveraged, case let .integer(steps)? = model["steps"] {
            out.append("")
            out.append("rate averaged over t = 1..\(steps) at the last layer: simulation (mean ± standard error, spread "
                + "across networks) against the multi-step mean field; outside from: the layer from which it stays "
                + "outside \(Format.number(tolerance * 100))% + 3 combined standard errors")
            let rows = cells.compactMap { c -> [String]? in
                guard let a = c.layers.last?.timeAveraged else { return nil }
                let outside = c.driftsFromLayer.map { "\($0)" + (c.holdsToDepth >= $0 ? " (drift)" : "") } ?? "-"
                return ["\(c.cell.width)", Format.number(c.cell.theta), Format.number(c.cell.beta), c.cell.scheme,
                        Format.number(a.empiricalRate) + " ± " + Format.number(a.empiricalRateError ?? .nan, digits: 2),
                        Format.number(a.empiricalSpread ?? .nan, digits: 2),
                        Format.number(a.predictedRate) + " ± " + Format.number(a.predictedRateError, digits: 2),
                        a.relativeDeviation.map { String(format: "%+.1f%%", 100 * $0) } ?? "-", outside]
            }
            out.append(Format.table(header: ["width", "theta", "beta", "init", "simulated", "spread", "mean field",
                                             "deviation", "outside from"], rows: rows))
        }
        out.append("")
        for c in cells {
            out.append("width \(c.cell.width), theta \(Format.number(c.cell.theta)), beta \(Format.number(c.cell.beta)), "
                + "\(c.cell.scheme): \(c.verdict)")
        }
        // A finite-width drift of the solver's scales has a remedy the verdicts cannot name (they are the library's).
        if cells.contains(where: { c in
            c.cell.scheme.hasPrefix(CellInitialization.targetRatePrefix)
                && c.driftsFromLayer.map { c.holdsToDepth >= $0 } == true
        }) {
            out.append("")
            out.append("The solver's scales hold the rate of infinitely wide layers; for the expected rate at a given "
                + "width, solve on sampled networks of that width: snn-theory simulate --target-rate R --solve-on sampler")
        }
        return out.joined(separator: "\n")
    }
}

