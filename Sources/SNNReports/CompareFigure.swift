import SNNFormats
import SNNVerification
import SVGPlot

extension Figures {
    /// The depth to which the theory holds over width x theta (one map per beta and init), and each cell's rate profile:
    /// mean field as lines, finite-width chain dashed where available, simulation as points with error bars.
    public static func compare(_ cells: [CellComparison]) -> any SVGFigure {
        var panels: [any SVGFigure] = []
        var groups: [(Double, String)] = []
        for c in cells where !groups.contains(where: { $0.0 == c.cell.beta && $0.1 == c.cell.scheme }) {
            groups.append((c.cell.beta, c.cell.scheme))
        }
        for (beta, scheme) in groups {
            let group = cells.filter { $0.cell.beta == beta && $0.cell.scheme == scheme }
            let widths = Array(Set(group.map(\.cell.width))).sorted()
            let thetas = Array(Set(group.map(\.cell.theta))).sorted()
            let values = widths.map { w in
                thetas.map { t in
                    group.first { $0.cell.width == w && $0.cell.theta == t }.map { Double($0.holdsToDepth) } ?? .nan
                }
            }
            panels.append(HeatMap(
                title: "Depth to which the mean field holds, \(scheme), beta \(Format.number(beta))",
                xLabel: "threshold theta", yLabel: "width",
                colorLabel: "layers (of \(group.first?.layers.count ?? 0))",
                x: .categories(thetas.map { Format.number($0) }), y: .categories(widths.map(String.init)),
                values: values, colorScale: ColorScale(mode: .sequential, min: 0, max: Double(group.first?.layers.count ?? 1)),
                showValues: true, valueDigits: 0))
        }
        for (i, c) in cells.enumerated() {
            let x = c.layers.map { Double($0.layer) }
            var series = [
                PlotSeries(name: "mean field", x: x, y: c.layers.map(\.predictedRate), colorIndex: 0),
                PlotSeries(name: "simulation", x: x, y: c.layers.map(\.empiricalRate),
                           yError: c.layers.map { $0.empiricalRateError ?? 0 }, style: .markers, colorIndex: 1),
            ]
            if c.layers.first?.finiteWidthRate != nil {
                series.append(PlotSeries(name: "exact finite width", x: x, y: c.layers.map { $0.finiteWidthRate ?? .nan },
                                         colorIndex: 2))
            }
            panels.append(LinePlot(
                title: "width \(c.cell.width), theta \(Format.number(c.cell.theta)), \(c.cell.scheme)",
                xLabel: "layer", yLabel: "rate at t = 1", legend: i == 0 ? .below : .hidden, width: 420, height: 320,
                series: series))
        }
        return SmallMultiples(title: "snn-theory compare: theory against simulation", columns: 3, panels: panels)
    }
}
