import Foundation

/// One axis of a `HeatMap`: the cells along it, equally sized whatever their values.
public enum HeatMapAxis: Sendable {
    /// Named cells; an overlay's coordinate on this axis is a cell index (0 is the first cell's centre).
    case categories([String])
    /// Cells centred at these values, in increasing or decreasing order; an overlay's coordinate is a value,
    /// placed by linear interpolation between cell centres (of log10 of the values when `log`).
    case values([Double], log: Bool = false)

    var count: Int {
        switch self {
        case .categories(let names): names.count
        case .values(let values, _): values.count
        }
    }

    var labels: [String] {
        switch self {
        case .categories(let names): names
        case .values(let values, _):
            values.map { TickLabel.minus(PlotAxis.compactExponent(String(format: "%g", $0))) }
        }
    }

    /// Fractional cell index of an overlay coordinate; nil when it has none (not finite; not positive on a log axis).
    public func position(of v: Double) -> Double? {
        guard v.isFinite else { return nil }
        switch self {
        case .categories: return v
        case .values(let values, let log):
            let t: (Double) -> Double? = { log ? ($0 > 0 ? Foundation.log10($0) : nil) : $0 }
            guard let tv = t(v) else { return nil }
            let centres = values.compactMap(t)
            guard centres.count >= 2 else { return centres.isEmpty ? nil : 0 }
            let n = centres.count
            for i in 0..<(n - 1) {
                let a = centres[i], b = centres[i + 1]
                if tv >= Swift.min(a, b), tv <= Swift.max(a, b), a != b { return Double(i) + (tv - a) / (b - a) }
            }
            let increasing = centres[n - 1] > centres[0]
            if (tv < centres[0]) == increasing { return (tv - centres[0]) / (centres[1] - centres[0]) }
            return Double(n - 1) + (tv - centres[n - 1]) / (centres[n - 1] - centres[n - 2])
        }
    }
}

/// A line drawn over a `HeatMap` in data coordinates (see `HeatMapAxis` for what they mean), such as the
/// critical line chi = 1. Non-finite points break the line.
public struct HeatMapOverlay {
    var name: String
    var x: [Double]
    var y: [Double]
    var dashed: Bool

    public init(name: String, x: [Double], y: [Double], dashed: Bool = false) {
        precondition(x.count == y.count, "overlay \(name): \(x.count) x values but \(y.count) y values")
        self.name = name
        self.x = x
        self.y = y
        self.dashed = dashed
    }
}

/// A grid of coloured cells, one value per (x, y) cell, with a colour bar, optional overlay lines and optional
/// value annotations. Row 0 (the first y cell) is at the bottom. NaN cells are drawn hatched grey ("no data").
public struct HeatMap: SVGFigure {
    public internal(set) var title: String
    var xLabel: String
    var yLabel: String
    /// The colour bar's label, with units.
    var colorLabel: String
    var x: HeatMapAxis
    var y: HeatMapAxis
    /// `values[row][column]`: row indexes `y`, column indexes `x`.
    var values: [[Double]]
    var colorScale: ColorScale
    var overlays: [HeatMapOverlay]
    /// Print each cell's value in it, with `valueDigits` significant figures, when every label fits its cell.
    var showValues: Bool
    var valueDigits: Int
    var width: Double
    var height: Double

    public init(title: String, xLabel: String, yLabel: String, colorLabel: String, x: HeatMapAxis, y: HeatMapAxis,
         values: [[Double]], colorScale: ColorScale = ColorScale(), overlays: [HeatMapOverlay] = [],
         showValues: Bool = false, valueDigits: Int = 2, width: Double = 720, height: Double = 480) {
        precondition(values.count == y.count, "heat map: \(values.count) rows for \(y.count) y cells")
        precondition(values.allSatisfy { $0.count == x.count }, "heat map: every row needs \(x.count) values")
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.colorLabel = colorLabel
        self.x = x
        self.y = y
        self.values = values
        self.colorScale = colorScale
        self.overlays = overlays
        self.showValues = showValues
        self.valueDigits = valueDigits
        self.width = width
        self.height = height
    }

    public var renderedWidth: Double { width }
    public var renderedHeight: Double { height }

    private static let pad = 10.0, titleSize = 15.0, labelSize = 13.0, tickSize = 11.0, legendSize = 12.0
    private static let barWidth = 14.0

    public func draw(into canvas: inout SVGCanvas, idPrefix: String) {
        let pad = Self.pad
        let scale = colorScale.resolved(for: values.flatMap { $0 })
        let hasMissing = values.contains { $0.contains(where: \.isNaN) }
        let hatchID = "\(idPrefix)-nodata", gradientID = "\(idPrefix)-colorbar"

        let titleText = FittedText(title, size: Self.titleSize, room: width - 2 * pad, bold: true)
        let xLabelText = FittedText(xLabel, size: Self.labelSize, room: width - 2 * pad)
        let top = pad + (title.isEmpty ? 0 : titleText.height + 8) + 6
        let hasLegend = !overlays.isEmpty || hasMissing
        let belowCells = xLabel.isEmpty ? 22 : 40 + xLabelText.extraHeight
        let bottom = height - pad - belowCells - (hasLegend ? 26 : 0)
        let yLabelText = FittedText(yLabel, size: Self.labelSize, room: bottom - top)
        let colorLabelText = FittedText(colorLabel, size: Self.labelSize, room: bottom - top)

        let barAxis = PlotAxis(scale: colorScale.log ? .log10 : .linear, lower: scale.lower, upper: scale.upper)
        let barTicks = barAxis.ticks(length: bottom - top) { _ in Self.tickSize }
        let barTickWidth = barTicks.compactMap { $0.label?.width(size: Self.tickSize) }.max() ?? 0
        let barRight = width - pad - (colorLabel.isEmpty ? 0 : colorLabelText.height + 8) - barTickWidth - 9
        let barLeft = barRight - Self.barWidth
        let yLabels = y.labels, xLabels = x.labels
        let yLabelWidth = yLabels.map { SVGCanvas.textWidth($0, size: Self.tickSize) }.max() ?? 0
        let left = pad + (yLabel.isEmpty ? 0 : yLabelText.height + 8) + yLabelWidth + 9
        let area = SVGRect(left: left, top: top, right: barLeft - 18, bottom: bottom)
        let cellWidth = area.width / Double(Swift.max(x.count, 1))
        let cellHeight = area.height / Double(Swift.max(y.count, 1))

        canvas.rect(x: 0, y: 0, width: width, height: height, "fill=\"#fff\"")
        canvas.raw("<defs>\n<pattern id=\"\(hatchID)\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\""
                   + " patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#e4e4e4\"/>"
                   + "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#a0a0a0\" stroke-width=\"2\"/></pattern>\n")
        canvas.raw("<linearGradient id=\"\(gradientID)\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">\n")
        var stops = (0...32).map { Double($0) / 32 }
        if let centre = scale.centre { stops.append((centre - scale.lower) / (scale.upper - scale.lower)) }
        for f in stops.sorted() {
            let color = scale.color(atPalettePosition: scale.palettePosition(
                transformed: scale.lower + f * (scale.upper - scale.lower)))
            canvas.raw("<stop offset=\"\(SVGCanvas.number(f * 100))%\" stop-color=\"\(ResolvedColorScale.hex(color))\"/>\n")
        }
        canvas.raw("</linearGradient>\n</defs>\n")

        canvas.text(titleText, x: width / 2, y: pad + titleText.size, anchor: .middle,
                    attributes: "font-weight=\"bold\"")
        drawCells(into: &canvas, area: area, cellWidth: cellWidth, cellHeight: cellHeight, scale: scale,
                  hatchID: hatchID)
        canvas.rect(x: area.left, y: area.top, width: area.width, height: area.height,
                    "fill=\"none\" stroke=\"#555\" stroke-width=\"1\"")
        drawTickLabels(into: &canvas, area: area, cellWidth: cellWidth, cellHeight: cellHeight,
                       xLabels: xLabels, yLabels: yLabels)
        let halfLabel = xLabelText.width() / 2
        let labelCentre = Swift.min(Swift.max((area.left + area.right) / 2, pad + halfLabel), width - pad - halfLabel)
        canvas.text(xLabelText, x: labelCentre, y: area.bottom + 38, anchor: .middle, attributes: "class=\"x-label\"")
        canvas.text(yLabelText, x: pad + 0.8 * yLabelText.size, y: (area.top + area.bottom) / 2, anchor: .middle,
                    rotated: true, attributes: "class=\"y-label\"")
        drawOverlays(into: &canvas, area: area, cellWidth: cellWidth, cellHeight: cellHeight)
        drawColorBar(into: &canvas, left: barLeft, top: area.top, bottom: area.bottom, axis: barAxis,
                     ticks: barTicks, tickWidth: barTickWidth, label: colorLabelText, gradientID: gradientID)
        if hasLegend {
            drawLegend(into: &canvas, x: area.left, baseline: area.bottom + belowCells + 20,
                       showMissing: hasMissing, hatchID: hatchID)
        }
    }

    private func drawCells(into canvas: inout SVGCanvas, area: SVGRect, cellWidth: Double, cellHeight: Double,
                           scale: ResolvedColorScale, hatchID: String) {
        // Seams between adjacent cells would show as faint lines after anti-aliasing.
        canvas.group("class=\"cells\" shape-rendering=\"crispEdges\"") { canvas in
            for (row, rowValues) in values.enumerated() {
                for (column, value) in rowValues.enumerated() {
                    let fill = scale.color(for: value).map(ResolvedColorScale.hex) ?? "url(#\(hatchID))"
                    canvas.rect(x: area.left + Double(column) * cellWidth,
                                y: area.bottom - Double(row + 1) * cellHeight, width: cellWidth, height: cellHeight,
                                "class=\"cell\" fill=\"\(fill)\"")
                }
            }
        }
        guard showValues else { return }
        let texts = values.map { $0.map { $0.isNaN ? "" : Self.annotation($0, digits: valueDigits) } }
        let size = Swift.min(11, cellHeight * 0.55)
        let widest = texts.joined().map { SVGCanvas.textWidth($0, size: size) }.max() ?? 0
        guard size >= 7, widest <= cellWidth - 4 else { return }
        canvas.group("class=\"cell-values\" text-anchor=\"middle\"") { canvas in
            for (row, rowValues) in values.enumerated() {
                for (column, value) in rowValues.enumerated() {
                    guard let color = scale.color(for: value) else { continue }
                    let ink = ResolvedColorScale.isLight(color) ? "#000" : "#fff"
                    canvas.text(texts[row][column], x: area.left + (Double(column) + 0.5) * cellWidth,
                                y: area.bottom - (Double(row) + 0.5) * cellHeight + 0.35 * size, size: size,
                                attributes: "fill=\"\(ink)\"")
                }
            }
        }
    }

    static func annotation(_ v: Double, digits: Int) -> String {
        TickLabel.minus(PlotAxis.compactExponent(String(format: "%.\(Swift.max(digits, 1))g", v)))
    }

    private func drawTickLabels(into canvas: inout SVGCanvas, area: SVGRect, cellWidth: Double, cellHeight: Double,
                                xLabels: [String], yLabels: [String]) {
        // Label every k-th cell, k as small as lets neighbouring labels clear each other.
        let widestX = xLabels.map { SVGCanvas.textWidth($0, size: Self.tickSize) }.max() ?? 0
        let everyX = Swift.max(1, Int(((widestX + 6) / cellWidth).rounded(.up)))
        let everyY = Swift.max(1, Int(((Self.tickSize + 4) / cellHeight).rounded(.up)))
        canvas.group("class=\"tick-labels\" fill=\"#333\"") { canvas in
            for (i, label) in xLabels.enumerated() where i % everyX == 0 {
                let cx = area.left + (Double(i) + 0.5) * cellWidth
                canvas.line(SVGPoint(x: cx, y: area.bottom), SVGPoint(x: cx, y: area.bottom + 4),
                            "stroke=\"#555\"")
                canvas.text(label, x: cx, y: area.bottom + 8 + Self.tickSize, size: Self.tickSize, anchor: .middle)
            }
            for (i, label) in yLabels.enumerated() where i % everyY == 0 {
                let cy = area.bottom - (Double(i) + 0.5) * cellHeight
                canvas.line(SVGPoint(x: area.left - 4, y: cy), SVGPoint(x: area.left, y: cy), "stroke=\"#555\"")
                canvas.text(label, x: area.left - 7, y: cy + 0.35 * Self.tickSize, size: Self.tickSize, anchor: .end)
            }
        }
    }

    private static func overlayStroke(_ overlay: HeatMapOverlay) -> String {
        overlay.dashed ? " stroke-dasharray=\"7 4\"" : ""
    }

    private func drawOverlays(into canvas: inout SVGCanvas, area: SVGRect, cellWidth: Double, cellHeight: Double) {
        for overlay in overlays {
            var line = ClippedPolyline(area: area)
            for (vx, vy) in zip(overlay.x, overlay.y) {
                guard let px = x.position(of: vx), let py = y.position(of: vy) else {
                    line.add(nil)
                    continue
                }
                line.add(SVGPoint(x: area.left + (px + 0.5) * cellWidth, y: area.bottom - (py + 0.5) * cellHeight))
            }
            // A white halo under a black line keeps it visible on dark and light cells alike.
            canvas.group("class=\"overlay\" data-series=\"\(SVGCanvas.escape(overlay.name))\" fill=\"none\""
                         + " stroke-linejoin=\"round\" stroke-linecap=\"round\"") { canvas in
                canvas.path(line.pathData, "stroke=\"#fff\" stroke-width=\"5\" stroke-opacity=\"0.85\"")
                canvas.path(line.pathData, "stroke=\"#000\" stroke-width=\"2\"" + Self.overlayStroke(overlay))
            }
        }
    }

    private func drawColorBar(into canvas: inout SVGCanvas, left: Double, top: Double, bottom: Double,
                              axis: PlotAxis, ticks: [AxisTick], tickWidth: Double, label: FittedText,
                              gradientID: String) {
        canvas.group("class=\"color-bar\"") { canvas in
            canvas.rect(x: left, y: top, width: Self.barWidth, height: bottom - top,
                        "fill=\"url(#\(gradientID))\" stroke=\"#555\" stroke-width=\"1\"")
            let right = left + Self.barWidth
            for tick in ticks {
                let y = bottom - axis.fraction(tick.position) * (bottom - top)
                canvas.line(SVGPoint(x: right, y: y), SVGPoint(x: right + (tick.label == nil ? 2 : 4), y: y),
                            "stroke=\"#555\"")
                if let label = tick.label {
                    canvas.tickLabel(label, x: right + 7, y: y + 0.35 * Self.tickSize, size: Self.tickSize,
                                     anchor: .start)
                }
            }
            canvas.text(label, x: right + 9 + tickWidth + 8 + 0.8 * label.size, y: (top + bottom) / 2, anchor: .middle,
                        rotated: true, attributes: "class=\"color-label\"")
        }
    }

    private func drawLegend(into canvas: inout SVGCanvas, x left: Double, baseline: Double, showMissing: Bool,
                            hatchID: String) {
        canvas.group("class=\"legend\"") { canvas in
            var x = left
            let mid = baseline - 4
            for overlay in overlays {
                canvas.group("class=\"legend-entry\" data-series=\"\(SVGCanvas.escape(overlay.name))\"") { canvas in
                    canvas.line(SVGPoint(x: x, y: mid), SVGPoint(x: x + 24, y: mid), "stroke=\"#000\" stroke-width=\"2\""
                                + Self.overlayStroke(overlay))
                    canvas.text(overlay.name, x: x + 30, y: baseline, size: Self.legendSize)
                }
                x += 30 + SVGCanvas.textWidth(overlay.name, size: Self.legendSize) + 14
            }
            if showMissing {
                canvas.group("class=\"legend-entry\" data-series=\"no data\"") { canvas in
                    canvas.rect(x: x, y: mid - 6, width: 12, height: 12,
                                "fill=\"url(#\(hatchID))\" stroke=\"#777\" stroke-width=\"0.5\"")
                    canvas.text("no data", x: x + 18, y: baseline, size: Self.legendSize)
                }
            }
        }
    }
}
