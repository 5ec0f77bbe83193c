import Foundation

/// One named curve of a `LinePlot`: a prediction drawn as a line, or a simulation drawn as markers with optional
/// vertical error bars.
public struct PlotSeries {
    public enum Style: Sendable {
        /// Predictions: a line through the points, broken wherever a point cannot be shown.
        case line
        /// Simulations: a marker per point.
        case markers
        case lineAndMarkers
    }

    var name: String
    var x: [Double]
    var y: [Double]
    /// Half-length of each point's vertical error bar (for example two standard errors); nil, NaN or 0 draws none.
    var yError: [Double]?
    var style: Style
    /// Index into `SVGPalette.series`; series that share it (a prediction and the simulation it predicts) share
    /// colour and marker shape. Nil: the series' position in the plot.
    var colorIndex: Int?

    public init(name: String, x: [Double], y: [Double], yError: [Double]? = nil, style: Style = .line,
         colorIndex: Int? = nil) {
        precondition(x.count == y.count, "series \(name): \(x.count) x values but \(y.count) y values")
        precondition(yError == nil || yError!.count == y.count, "series \(name): one error bar per point")
        self.name = name
        self.x = x
        self.y = y
        self.yError = yError
        self.style = style
        self.colorIndex = colorIndex
    }
}

/// Colours and marker shapes that stay apart for colour-blind readers and in greyscale print.
enum SVGPalette {
    /// Okabe and Ito's palette without its yellow (too pale on white), then Paul Tol's wine and olive, then grey.
    static let series = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#882255",
                         "#999933", "#7F7F7F"]

    static func color(_ index: Int) -> String { series[((index % series.count) + series.count) % series.count] }

    enum Marker: CaseIterable { case circle, square, triangleUp, diamond, triangleDown }

    static func marker(_ index: Int) -> Marker {
        Marker.allCases[((index % Marker.allCases.count) + Marker.allCases.count) % Marker.allCases.count]
    }

    /// Path data for one marker of radius about `r` centred at `p`.
    static func markerPath(_ marker: Marker, at p: SVGPoint, radius r: Double) -> String {
        let n = SVGCanvas.number
        switch marker {
        case .circle:
            return "M\(n(p.x - r)),\(n(p.y))a\(n(r)),\(n(r)) 0 1,0 \(n(2 * r)),0a\(n(r)),\(n(r)) 0 1,0 \(n(-2 * r)),0Z"
        case .square:
            let s = 0.88 * r
            return "M\(n(p.x - s)),\(n(p.y - s))h\(n(2 * s))v\(n(2 * s))h\(n(-2 * s))Z"
        case .triangleUp:
            return "M\(n(p.x)),\(n(p.y - 1.2 * r))l\(n(1.1 * r)),\(n(1.9 * r))h\(n(-2.2 * r))Z"
        case .diamond:
            return "M\(n(p.x)),\(n(p.y - 1.25 * r))l\(n(r)),\(n(1.25 * r))l\(n(-r)),\(n(1.25 * r))l\(n(-r)),\(n(-1.25 * r))Z"
        case .triangleDown:
            return "M\(n(p.x)),\(n(p.y + 1.2 * r))l\(n(1.1 * r)),\(n(-1.9 * r))h\(n(-2.2 * r))Z"
        }
    }
}

/// A plot of y against x for several series, with a linear or base-10 log axis on either side, and a legend
/// outside the data area.
///
/// On a log axis, zeros, negative and non-finite values have no position: they are not drawn and a line breaks
/// there. Values outside the visible range are clipped; the plot says so in a note ("values below 1e-40 not
/// shown"). Without `yMin`, a log y axis shows about `maxDecades` decades below its top (the floor rounded down to
/// a multiple of ten decades), so a variance collapsing from 1 to 1e-300 does not flatten every other curve.
public struct LinePlot: SVGFigure {
    public enum LegendPlacement: Sendable {
        case right, below
        /// No legend, for panels of `SmallMultiples` that share another panel's legend.
        case hidden
    }

    public internal(set) var title: String
    /// Axis labels with their units, for example "membrane variance (θ²)".
    var xLabel: String
    var yLabel: String
    var xScale: AxisScale
    var yScale: AxisScale
    /// Visible ranges; nil takes the data range (see the type's description for log axes).
    var xMin: Double?
    var xMax: Double?
    var yMin: Double?
    var yMax: Double?
    /// On a log y axis without `yMin`: about how many decades below the top are shown.
    var maxDecades: Double
    var legend: LegendPlacement
    var width: Double
    var height: Double
    var series: [PlotSeries]

    public init(title: String, xLabel: String, yLabel: String, xScale: AxisScale = .linear, yScale: AxisScale = .linear,
         xMin: Double? = nil, xMax: Double? = nil, yMin: Double? = nil, yMax: Double? = nil,
         maxDecades: Double = 40, legend: LegendPlacement = .right, width: Double = 720, height: Double = 440,
         series: [PlotSeries] = []) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xScale = xScale
        self.yScale = yScale
        self.xMin = xMin
        self.xMax = xMax
        self.yMin = yMin
        self.yMax = yMax
        self.maxDecades = maxDecades
        self.legend = legend
        self.width = width
        self.height = height
        self.series = series
    }

    public var renderedWidth: Double { width }

    /// `height`, grown by what a legend below needs beyond a quarter of it, so many series do not squeeze the data.
    public var renderedHeight: Double {
        let rows = legendPlacement == .below ? belowLegendRows(width: width - 2 * Self.pad).count : 0
        return height + max(0, (rows == 0 ? 0 : 8 + Double(rows) * Self.legendRow) - 0.25 * height)
    }

    private var rightLegendWidth: Double { series.map { legendEntryWidth($0) }.max().map { $0 + 14 } ?? 0 }

    /// Where the legend goes: as asked, except that one on the right that would leave the data less than 60 % of
    /// the width goes below.
    private var legendPlacement: LegendPlacement {
        if series.isEmpty { return .hidden }
        return legend == .right && rightLegendWidth + Self.pad > 0.4 * width ? .below : legend
    }

    private static let pad = 10.0, titleSize = 15.0, labelSize = 13.0, tickSize = 11.0, legendSize = 12.0
    private static let noteSize = 11.0, legendRow = 18.0, legendSample = 24.0

    public func draw(into canvas: inout SVGCanvas, idPrefix: String) {
        let pad = Self.pad
        let xAxis = PlotAxis.fitting(xScale, values: series.flatMap(\.x), min: xMin, max: xMax)
        let yAxis = PlotAxis.fitting(yScale, values: yRangeCandidates(xAxis), min: yMin, max: yMax,
                                     maxDecades: maxDecades)
        let note = clippingNote(xAxis, yAxis)

        let placement = legendPlacement, height = renderedHeight

        // Vertical layout first: the y ticks depend on the plot's height, the left margin on the y tick labels.
        let titleText = FittedText(title, size: Self.titleSize, room: width - 2 * pad, bold: true)
        let xLabelText = FittedText(xLabel, size: Self.labelSize, room: width - 2 * pad)
        let plotTop = pad + (title.isEmpty ? 0 : titleText.height + 8) + 6
        let legendRows = placement == .below ? belowLegendRows(width: width - 2 * pad) : []
        var bottomMargin = (xLabel.isEmpty ? 22.0 : 40.0 + xLabelText.extraHeight) + pad
        if note != nil { bottomMargin += Self.noteSize + 6 }
        if !legendRows.isEmpty { bottomMargin += 8 + Double(legendRows.count) * Self.legendRow }
        let plotBottom = height - bottomMargin
        let yLabelText = FittedText(yLabel, size: Self.labelSize, room: plotBottom - plotTop)

        let yTicks = yAxis.ticks(length: plotBottom - plotTop) { _ in Self.tickSize }
        let yTickWidth = yTicks.compactMap { $0.label?.width(size: Self.tickSize) }.max() ?? 0
        let plotLeft = pad + (yLabel.isEmpty ? 0 : yLabelText.height + 8) + yTickWidth + 9
        let plotRight = width - pad - (placement == .right ? rightLegendWidth : 16)
        let area = SVGRect(left: plotLeft, top: plotTop, right: plotRight, bottom: plotBottom)
        let xTicks = xAxis.ticks(length: area.width, spacing: 70) { $0.width(size: Self.tickSize) }

        canvas.rect(x: 0, y: 0, width: width, height: height, "fill=\"#fff\"")
        canvas.text(titleText, x: width / 2, y: pad + titleText.size, anchor: .middle,
                    attributes: "font-weight=\"bold\"")
        drawAxes(into: &canvas, area: area, xAxis: xAxis, yAxis: yAxis, xTicks: xTicks, yTicks: yTicks)
        // The x label centred under the data, moved in if that would push it off the figure.
        let halfLabel = xLabelText.width() / 2
        let labelCentre = min(max((area.left + area.right) / 2, pad + halfLabel), width - pad - halfLabel)
        canvas.text(xLabelText, x: labelCentre, y: area.bottom + 38, anchor: .middle,
                    attributes: "class=\"x-label\"")
        canvas.text(yLabelText, x: pad + 0.8 * yLabelText.size, y: (area.top + area.bottom) / 2, anchor: .middle,
                    rotated: true, attributes: "class=\"y-label\"")
        canvas.group("class=\"data\"") { canvas in
            for (index, s) in series.enumerated() {
                drawSeries(s, index: index, into: &canvas, area: area, xAxis: xAxis, yAxis: yAxis)
            }
        }
        var below = area.bottom + (xLabel.isEmpty ? 22 : 40 + xLabelText.extraHeight)
        if let note {
            below += Self.noteSize + 2
            canvas.text(note, x: area.left, y: below, size: Self.noteSize,
                        attributes: "class=\"clip-note\" fill=\"#555\" font-style=\"italic\"")
        }
        switch placement {
        case .right:
            drawLegend(into: &canvas, rows: series.indices.map { [$0] }, x: area.right + 14, y: area.top)
        case .below:
            drawLegend(into: &canvas, rows: legendRows, x: min(area.left, width - pad - legendRowsWidth(legendRows)),
                       y: below + 8)
        case .hidden:
            break
        }
    }

    /// Every value the y range should cover: the points at a visible x, and their error bars (on a log axis only
    /// the upper end, as the lower end may be zero or negative).
    private func yRangeCandidates(_ xAxis: PlotAxis) -> [Double] {
        var values: [Double] = []
        for s in series {
            for i in s.y.indices where isVisible(x: s.x[i], on: xAxis) {
                values.append(s.y[i])
                if let e = s.yError?[i], e.isFinite, e > 0 {
                    values.append(s.y[i] + e)
                    if yScale == .linear { values.append(s.y[i] - e) }
                }
            }
        }
        return values
    }

    private func isVisible(x: Double, on axis: PlotAxis) -> Bool {
        guard let t = axis.transform(x) else { return false }
        return t >= axis.lower - 1e-9 && t <= axis.upper + 1e-9
    }

    /// "values below 1e-40 not shown" when some finite y value at a visible x lies outside the y range. On a log
    /// axis zeros and negative values count as below.
    private func clippingNote(_ xAxis: PlotAxis, _ yAxis: PlotAxis) -> String? {
        var below = false, above = false
        for s in series {
            for i in s.y.indices where s.y[i].isFinite && isVisible(x: s.x[i], on: xAxis) {
                guard let t = yAxis.transform(s.y[i]) else { below = true; continue }
                if t < yAxis.lower - 1e-9 { below = true }
                if t > yAxis.upper + 1e-9 { above = true }
            }
        }
        var parts: [String] = []
        if below { parts.append("values below \(PlotAxis.boundText(yAxis.value(at: yAxis.lower))) not shown") }
        if above { parts.append("values above \(PlotAxis.boundText(yAxis.value(at: yAxis.upper))) not shown") }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    private func drawAxes(into canvas: inout SVGCanvas, area: SVGRect, xAxis: PlotAxis, yAxis: PlotAxis,
                          xTicks: [AxisTick], yTicks: [AxisTick]) {
        let px = { (t: Double) in area.left + xAxis.fraction(t) * area.width }
        let py = { (t: Double) in area.bottom - yAxis.fraction(t) * area.height }
        canvas.group("class=\"grid\" stroke=\"#e3e3e3\" stroke-width=\"1\"") { canvas in
            for tick in xTicks where tick.label != nil {
                canvas.line(SVGPoint(x: px(tick.position), y: area.top), SVGPoint(x: px(tick.position), y: area.bottom), "")
            }
            for tick in yTicks where tick.label != nil {
                canvas.line(SVGPoint(x: area.left, y: py(tick.position)), SVGPoint(x: area.right, y: py(tick.position)), "")
            }
        }
        canvas.group("class=\"axes\" stroke=\"#555\" stroke-width=\"1\"") { canvas in
            for tick in xTicks {
                let x = px(tick.position), length = tick.label == nil ? 3.0 : 5.0
                canvas.line(SVGPoint(x: x, y: area.bottom), SVGPoint(x: x, y: area.bottom + length), "")
            }
            for tick in yTicks {
                let y = py(tick.position), length = tick.label == nil ? 3.0 : 5.0
                canvas.line(SVGPoint(x: area.left - length, y: y), SVGPoint(x: area.left, y: y), "")
            }
            canvas.rect(x: area.left, y: area.top, width: area.width, height: area.height, "fill=\"none\"")
        }
        canvas.group("class=\"tick-labels\"") { canvas in
            for tick in xTicks {
                guard let label = tick.label else { continue }
                canvas.tickLabel(label, x: px(tick.position), y: area.bottom + 8 + Self.tickSize, size: Self.tickSize,
                                 anchor: .middle)
            }
            for tick in yTicks {
                guard let label = tick.label else { continue }
                canvas.tickLabel(label, x: area.left - 8, y: py(tick.position) + 0.35 * Self.tickSize,
                                 size: Self.tickSize, anchor: .end)
            }
        }
    }

    private func drawSeries(_ s: PlotSeries, index: Int, into canvas: inout SVGCanvas, area: SVGRect,
                            xAxis: PlotAxis, yAxis: PlotAxis) {
        let colorIndex = s.colorIndex ?? index
        let color = SVGPalette.color(colorIndex)
        func point(_ x: Double, _ y: Double) -> SVGPoint? {
            guard let tx = xAxis.transform(x), let ty = yAxis.transform(y) else { return nil }
            let p = SVGPoint(x: area.left + xAxis.fraction(tx) * area.width,
                             y: area.bottom - yAxis.fraction(ty) * area.height)
            return p.x.isFinite && p.y.isFinite ? p : nil
        }
        canvas.group("class=\"series\" data-series=\"\(SVGCanvas.escape(s.name))\"") { canvas in
            if s.style != .markers {
                var line = ClippedPolyline(area: area)
                for i in s.x.indices { line.add(point(s.x[i], s.y[i])) }
                canvas.path(line.pathData, "class=\"line\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\""
                            + " stroke-linejoin=\"round\" stroke-linecap=\"round\"")
            }
            if let errors = s.yError {
                // An end the axis cannot show (at or below zero on a log axis) or outside the range runs to the edge.
                func yPixel(_ v: Double) -> Double {
                    guard let t = yAxis.transform(v) else { return area.bottom + 1 }
                    return min(max(area.bottom - yAxis.fraction(t) * area.height, area.top - 1), area.bottom + 1)
                }
                var bars = ""
                let n = SVGCanvas.number
                for i in s.x.indices {
                    let e = errors[i], y = s.y[i]
                    guard e.isFinite, e > 0, y.isFinite, let tx = xAxis.transform(s.x[i]) else { continue }
                    let x = area.left + xAxis.fraction(tx) * area.width
                    let top = yPixel(y + e), bottom = yPixel(y - e)
                    guard x >= area.left - 0.5, x <= area.right + 0.5, top < area.bottom, bottom > area.top else {
                        continue
                    }
                    let upper = max(top, area.top), lower = min(bottom, area.bottom)
                    bars += "M\(n(x)),\(n(upper))V\(n(lower))"
                    if upper == top { bars += "M\(n(x - 3)),\(n(upper))h6" }
                    if lower == bottom { bars += "M\(n(x - 3)),\(n(lower))h6" }
                }
                canvas.path(bars, "class=\"error-bars\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.2\"")
            }
            if s.style != .line {
                var markers = ""
                let shape = SVGPalette.marker(colorIndex)
                for i in s.x.indices {
                    guard let p = point(s.x[i], s.y[i]), area.contains(p) else { continue }
                    markers += SVGPalette.markerPath(shape, at: p, radius: 3.5)
                }
                canvas.path(markers, "class=\"markers\" fill=\"\(color)\" stroke=\"#fff\" stroke-width=\"0.7\"")
            }
        }
    }

    private func legendEntryWidth(_ s: PlotSeries) -> Double {
        Self.legendSample + 6 + SVGCanvas.textWidth(s.name, size: Self.legendSize)
    }

    private func legendRowsWidth(_ rows: [[Int]]) -> Double {
        rows.map { row in row.map { legendEntryWidth(series[$0]) + 14 }.reduce(0, +) - 14 }.max() ?? 0
    }

    /// Series indices grouped into rows that fit `width`.
    private func belowLegendRows(width: Double) -> [[Int]] {
        var rows: [[Int]] = [], current: [Int] = [], used = 0.0
        for (i, s) in series.enumerated() {
            let w = legendEntryWidth(s) + 14
            if !current.isEmpty, used + w > width {
                rows.append(current)
                current = []
                used = 0
            }
            current.append(i)
            used += w
        }
        if !current.isEmpty { rows.append(current) }
        return rows
    }

    private func drawLegend(into canvas: inout SVGCanvas, rows: [[Int]], x: Double, y: Double) {
        canvas.group("class=\"legend\"") { canvas in
            for (r, row) in rows.enumerated() {
                var left = x
                let baseline = y + Double(r) * Self.legendRow + 13
                for i in row {
                    let s = series[i]
                    let colorIndex = s.colorIndex ?? i
                    let color = SVGPalette.color(colorIndex)
                    let mid = SVGPoint(x: left + Self.legendSample / 2, y: baseline - 4)
                    canvas.group("class=\"legend-entry\" data-series=\"\(SVGCanvas.escape(s.name))\"") { canvas in
                        if s.style != .markers {
                            canvas.line(SVGPoint(x: left, y: mid.y), SVGPoint(x: left + Self.legendSample, y: mid.y),
                                        "stroke=\"\(color)\" stroke-width=\"2\"")
                        }
                        if s.yError != nil {
                            canvas.line(SVGPoint(x: mid.x, y: mid.y - 6), SVGPoint(x: mid.x, y: mid.y + 6),
                                        "stroke=\"\(color)\" stroke-width=\"1.2\"")
                        }
                        if s.style != .line {
                            canvas.path(SVGPalette.markerPath(SVGPalette.marker(colorIndex), at: mid, radius: 3.5),
                                        "fill=\"\(color)\" stroke=\"#fff\" stroke-width=\"0.7\"")
                        }
                        canvas.text(s.name, x: left + Self.legendSample + 6, y: baseline, size: Self.legendSize)
                    }
                    left += legendEntryWidth(s) + 14
                }
            }
        }
    }
}
