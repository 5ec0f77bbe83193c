import Foundation
import SNNModel
import SNNFormats
import SNNSimulator
import SNNTheory
import SVGPlot

/// The figures behind `--plot`: built from the same reports the tables print.
public enum Figures {
    /// Writes an SVG figure, or fails with one line naming the path.
    public static func write(_ figure: any SVGFigure, to path: String) throws {
        do {
            try figure.render().write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw OutputFailure(message: "plot: cannot write '\(path)': \(error.localizedDescription)")
        }
    }

    /// Refuses, before any work, a figure path whose directory does not exist or cannot be written.
    public static func checkDestination(_ path: String) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        var target: ObjCBool = false
        let isFolder = FileManager.default.fileExists(atPath: path, isDirectory: &target) && target.boolValue
        guard !path.isEmpty, !path.hasSuffix("/"), !isFolder,
              FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue,
              FileManager.default.isWritableFile(atPath: directory)
        else {
            throw ModelError.invalid(parameter: "plot", value: path, allowed: "a file in an existing, writable directory")
        }
    }

    /// Membrane variance and rate against depth, one line per initialization (log axes: a collapse to 1e-300 stays
    /// visible), plus the rate over time at the last layer when several steps were predicted.
    public static func predict(_ report: PredictReport) -> any SVGFigure {
        let x: (SchemePrediction) -> [Double] = { $0.layers.map { Double($0.layer) } }
        let variance = LinePlot(
            title: "Membrane variance at t = 1", xLabel: "layer", yLabel: "Var[u] (mean field)", yScale: .log10,
            legend: .hidden,
            series: report.predictions.enumerated().map { i, p in
                PlotSeries(name: p.scheme, x: x(p), y: p.layers.map(\.membraneVariance), colorIndex: i)
            })
        let rate = LinePlot(
            title: "Spike rate at t = 1", xLabel: "layer", yLabel: "P(u > theta) (mean field)", yScale: .log10,
            legend: .right,
            series: report.predictions.enumerated().map { i, p in
                PlotSeries(name: p.scheme, x: x(p), y: p.layers.map(\.rate), colorIndex: i)
            })
        var panels: [any SVGFigure] = [variance, rate]
        if let steps = report.predictions.first?.temporal?.layers.first?.steps.count, steps > 1 {
            panels.append(LinePlot(
                title: "Rate over time at the last layer", xLabel: "time step t", yLabel: "rate (mean field)",
                legend: .hidden,
                series: report.predictions.enumerated().compactMap { i, p in
                    guard let last = p.temporal?.layers.last else { return nil }
                    return PlotSeries(name: p.scheme, x: last.steps.map { Double($0.t) }, y: last.steps.map(\.rate),
                                      yError: last.steps.map(\.rateError), style: .lineAndMarkers, colorIndex: i)
                }))
        }
        if report.predictions.contains(where: { $0.finiteWidth != nil }) {
            panels.append(LinePlot(
                title: "P(silent), exact finite-width chain", xLabel: "layer", yLabel: "P(layer silent) at t = 1",
                yScale: .log10, legend: .hidden,
                series: report.predictions.enumerated().compactMap { i, p in
                    guard let chain = p.finiteWidth else { return nil }
                    return PlotSeries(name: p.scheme, x: chain.map { Double($0.layer) },
                                      y: chain.map(\.silentProbability), colorIndex: i)
                }))
        }
        return SmallMultiples(
            title: "snn-theory predict: \(report.architecture.depth) layers, theta \(Format.number(report.neuron.threshold)), "
                + "input \(report.input)",
            panels: panels)
    }

    /// Empirical variance and rate against depth, points with standard-error bars.
    public static func simulate(_ s: SimulationStatistics, scheme: String, prediction: [FirstStepLayer]) -> any SVGFigure {
        let layers = s.layers.map { Double($0.layer) }
        func series(_ name: String, _ values: [Double], _ errors: [Double], _ color: Int) -> PlotSeries {
            PlotSeries(name: name, x: layers, y: values, yError: errors, style: .markers, colorIndex: color)
        }
        let lastStep = s.configuration.steps
        var varianceSeries = [
            PlotSeries(name: "mean field, t = 1", x: layers, y: prediction.map(\.membraneVariance), colorIndex: 0),
            series("simulation, t = 1", s.layers.map { $0.steps[0].membraneVariance.mean },
                   s.layers.map { $0.steps[0].membraneVariance.standardError ?? 0 }, 0),
        ]
        var rateSeries = [
            PlotSeries(name: "mean field, t = 1", x: layers, y: prediction.map(\.rate), colorIndex: 0),
            series("simulation, t = 1", s.layers.map { $0.steps[0].rate.mean },
                   s.layers.map { $0.steps[0].rate.standardError ?? 0 }, 0),
        ]
        if lastStep > 1 {
            varianceSeries.append(series("simulation, t = \(lastStep)", s.layers.map { $0.steps[lastStep - 1].membraneVariance.mean },
                                         s.layers.map { $0.steps[lastStep - 1].membraneVariance.standardError ?? 0 }, 1))
            rateSeries.append(series("simulation, t = \(lastStep)", s.layers.map { $0.steps[lastStep - 1].rate.mean },
                                     s.layers.map { $0.steps[lastStep - 1].rate.standardError ?? 0 }, 1))
            let averaged = s.layers.map { s.timeAveragedRate(layer: $0.layer) }
            rateSeries.append(series("simulation, mean over t = 1..\(lastStep)", averaged.map(\.mean),
                                     averaged.map { $0.standardError ?? 0 }, 2))
        }
        return SmallMultiples(
            title: "snn-theory simulate: \(scheme), \(s.configuration.networks) networks x \(s.configuration.batch) "
                + (s.configuration.batch == 1 ? "input" : "inputs"),
            panels: [
                LinePlot(title: "Membrane variance", xLabel: "layer", yLabel: "Var[u] (mean over networks ± s.e.)",
                         legend: .hidden, series: varianceSeries),
                LinePlot(title: "Spike rate", xLabel: "layer", yLabel: "rate (mean over networks ± s.e.)",
                         legend: .right, series: rateSeries),
            ])
    }
}
