import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import SVGPlot

/// Structure of the SVG writer's output: well-formed XML, the expected series and cells present, nothing
/// non-finite or far outside the page, text escaped. How the figures look is checked by rendering them to PNG.
@Suite struct SVGPlotTests {
    /// Parses `svg`; throws (failing the test) when it is not well-formed XML.
    func parse(_ svg: String) throws -> XMLDocument { try XMLDocument(xmlString: svg) }

    func nodes(_ document: XMLDocument, _ xpath: String) throws -> [XMLNode] { try document.nodes(forXPath: xpath) }

    /// An attribute's value. (`XMLElement.attribute(forName:)` finds nothing in a document with a default namespace
    /// on Linux's FoundationXML; the `attributes` array does.)
    func attribute(_ node: XMLNode?, _ name: String) -> String? {
        (node as? XMLElement)?.attributes?.first { $0.name == name }?.stringValue
    }

    /// Every element's attributes, depth first.
    func allAttributes(_ document: XMLDocument) -> [(element: String, name: String, value: String)] {
        var result: [(String, String, String)] = []
        func visit(_ element: XMLElement) {
            for attribute in element.attributes ?? [] {
                result.append((element.name ?? "", attribute.name ?? "", attribute.stringValue ?? ""))
            }
            for case let child as XMLElement in element.children ?? [] { visit(child) }
        }
        if let root = document.rootElement() { visit(root) }
        return result
    }

    /// Numbers in geometry attributes (coordinates, sizes, path data, transforms).
    func geometryNumbers(_ document: XMLDocument) -> [Double] {
        let geometry: Set<String> = ["x", "y", "x1", "y1", "x2", "y2", "width", "height", "d", "transform", "viewBox",
                                     "font-size", "stroke-width", "dy"]
        let number = try! NSRegularExpression(pattern: "-?[0-9]+(\\.[0-9]+)?(e-?[0-9]+)?")
        var values: [Double] = []
        for (_, name, value) in allAttributes(document) where geometry.contains(name) {
            for match in number.matches(in: value, range: NSRange(value.startIndex..., in: value)) {
                values.append(Double((value as NSString).substring(with: match.range))!)
            }
        }
        return values
    }

    func collapsePlot() -> LinePlot {
        let depth = (1...12).map(Double.init)
        return LinePlot(
            title: "Membrane variance against depth", xLabel: "layer l", yLabel: "membrane variance σ² (θ²)",
            yScale: .log10,
            series: [
                PlotSeries(name: "paper", x: depth, y: depth.map { _ in 1 }),
                PlotSeries(name: "kaiming", x: depth, y: [1, 0.3, 0.07, 3e-4, 1e-12, 1e-60, 1e-300, 0, 0, 0, 0, 0]),
                PlotSeries(name: "simulated", x: depth, y: depth.map { _ in 0.5 },
                           yError: depth.map { $0 == 1 ? 0.5 : 0.05 }, style: .markers, colorIndex: 0),
            ])
    }

    @Test func linePlotIsWellFormedWithEverySeriesInDataAndLegend() throws {
        let names = ["paper", "Kaiming <He> & \"Glorot\"", "LeCun's", "simulated\u{1}"]
        let depth = (1...100).map(Double.init)
        let plot = LinePlot(title: "variance & rate", xLabel: "layer", yLabel: "variance (θ²)", series: names.enumerated().map { i, name in
            PlotSeries(name: name, x: depth, y: depth.map { 1 + Double(i) * 0.1 * sin($0) },
                       style: i == 3 ? .markers : .line)
        })
        let svg = plot.render()
        let document = try parse(svg)
        let root = try #require(document.rootElement())
        #expect(root.name == "svg")
        #expect(attribute(root, "width") == "720")
        #expect(attribute(root, "height") == "440")
        #expect(attribute(root, "viewBox") == "0 0 720 440")
        #expect(attribute(root, "font-family") == "sans-serif")
        let expected = ["paper", "Kaiming <He> & \"Glorot\"", "LeCun's", "simulated"]  // control character dropped
        let drawn = try nodes(document, "//*[@class='series']/@data-series").map { $0.stringValue ?? "" }
        #expect(drawn == expected)
        let legend = try nodes(document, "//*[@class='legend-entry']/*[local-name()='text']").map { $0.stringValue ?? "" }
        #expect(legend == expected)
        #expect(try nodes(document, "//*[@class='series']/*[@class='line']").count == 3)
        #expect(try nodes(document, "//*[@class='series']/*[@class='markers']").count == 1)
        #expect(try nodes(document, "//*[local-name()='script']").isEmpty)
        #expect(!svg.contains("http://") || svg.components(separatedBy: "http://").count == 2,
                "the only URL is the SVG namespace")
    }

    @Test func logAxisCollapseTo1e300ThenZeroLeavesNoNonFiniteNumbersAndNotesTheClip() throws {
        let plot = collapsePlot()
        let document = try parse(plot.render())
        for (element, name, value) in allAttributes(document) where name != "data-series" {
            #expect(!value.lowercased().contains("nan") && !value.lowercased().contains("inf"),
                    "\(element) \(name)=\(value)")
        }
        // Everything drawn stays on the page: the collapse is clipped in geometry, not pushed off-canvas.
        let extent = max(plot.renderedWidth, plot.renderedHeight)
        let geometry = geometryNumbers(document)
        #expect(geometry.count > 100, "only \(geometry.count) coordinates collected")
        #expect(geometry.allSatisfy { abs($0) <= extent + 1 })
        let note = try nodes(document, "//*[@class='clip-note']").map { $0.stringValue ?? "" }
        #expect(note == ["values below 1e-40 not shown"])
        // The kaiming line stops where it leaves the axis: one subpath, no segment back up from the zeros.
        let d = try #require(attribute(nodes(document, "//*[@data-series='kaiming' and @class='series']/*").first, "d"))
        #expect(d.filter { $0 == "M" }.count == 1)
        // Decades labelled as powers of ten from the floor, 10^-40, to the top, 10^0 (text "10" then a raised "0").
        let labels = try nodes(document, "//*[@class='tick-labels']/*[local-name()='text' and *]").map { $0.stringValue ?? "" }
        #expect(labels.first == "10\u{2212}40" && labels.last == "100")
    }

    @Test func logAxisWithinRangeHasNoClipNote() throws {
        let depth = (1...5).map(Double.init)
        let plot = LinePlot(title: "", xLabel: "layer", yLabel: "variance", yScale: .log10,
                            series: [PlotSeries(name: "a", x: depth, y: [1, 0.1, 0.01, 1e-3, 1e-4])])
        #expect(try nodes(parse(plot.render()), "//*[@class='clip-note']").isEmpty)
    }

    @Test func callerSetFloorClipsAndNamesThatFloor() throws {
        var plot = collapsePlot()
        plot.yMin = 1e-20
        let note = try nodes(parse(plot.render()), "//*[@class='clip-note']").map { $0.stringValue ?? "" }
        #expect(note == ["values below 1e-20 not shown"])
    }

    @Test func errorBarsDrawnForEachPointOnlyWhenGiven() throws {
        let document = try parse(collapsePlot().render())
        let bars = try nodes(document, "//*[@class='error-bars']").compactMap { attribute($0, "d") }
        #expect(bars.count == 1, "only the simulated series has error bars")
        // One vertical stroke per point, capped at both ends except the first point's lower end: 0.5 - 0.5 = 0
        // has no place on the log axis, so that bar runs to the axis uncapped.
        #expect(bars.first?.filter { $0 == "V" }.count == 12)
        #expect(bars.first.map { $0.components(separatedBy: "h6").count - 1 } == 23)
        let simulated = try nodes(document, "//*[@data-series='simulated' and @class='series']/*[@class='error-bars']")
        #expect(simulated.count == 1)
    }

    @Test func longLabelsWrapOntoTwoLinesBeforeShrinking() {
        let label = "relative deviation of the membrane variance (dimensionless)"
        let fitted = FittedText(label, size: 13, room: 300)
        #expect(fitted.lines.count == 2 && fitted.size == 13)
        #expect(fitted.lines.joined(separator: " ") == label)
        #expect(FittedText("short", size: 13, room: 300).lines == ["short"])
        #expect(FittedText(label, size: 13, room: 100).size >= 9, "never smaller than 9 px")
    }

    @Test func legendTooWideForTheRightGoesBelowAndTheFigureGrows() throws {
        let names = (0..<10).map { "initialization scheme number \($0) with a long name" }
        let plot = LinePlot(title: "", xLabel: "layer", yLabel: "variance", width: 420, height: 300,
                            series: names.map { PlotSeries(name: $0, x: [1, 2], y: [1, 2]) })
        #expect(plot.renderedWidth == 420 && plot.renderedHeight > 300)
        let document = try parse(plot.render())
        let root = try #require(document.rootElement())
        #expect(attribute(root, "height") == SVGCanvas.number(plot.renderedHeight))
        // Below the data: every legend entry's text starts under the x axis.
        let frame = try #require(nodes(document, "//*[@class='axes']/*[local-name()='rect']").first)
        let axisBottom = try #require(attribute(frame, "y").flatMap(Double.init)) + (attribute(frame, "height").flatMap(Double.init) ?? 0)
        let legendY = try nodes(document, "//*[@class='legend-entry']/*[local-name()='text']").compactMap { attribute($0, "y").flatMap(Double.init) }
        #expect(legendY.count == 10 && legendY.allSatisfy { $0 > axisBottom })
    }

    @Test func linearTicksAreOneTwoFiveMultiples() {
        let axis = PlotAxis.fitting(.linear, values: [1, 100], min: nil, max: nil)
        #expect(axis.lower == 0 && axis.upper == 100)
        let ticks = axis.ticks(length: 500, spacing: 70) { $0.width(size: 11) }
        #expect(ticks.map(\.position) == [0, 20, 40, 60, 80, 100])
        #expect(ticks.first?.label == .text("0") && ticks.last?.label == .text("100"))
        let small = PlotAxis.fitting(.linear, values: [0.1587, 0.1587], min: nil, max: nil)
        #expect(small.ticks(length: 330) { _ in 11 }.compactMap(\.label).contains(.text("0.16")), "a constant 0.1587 gets a readable range")
    }

    @Test func logTicksThinTheirLabelsOverManyDecades() {
        let axis = PlotAxis.fitting(.log10, values: [1, 1e-300], min: nil, max: nil, maxDecades: 300)
        #expect(axis.lower == -300 && axis.upper == 0)
        let labelled = axis.ticks(length: 330) { _ in 11 }.filter { $0.label != nil }
        #expect(labelled.count >= 4 && labelled.count <= 330 / 17)
        #expect(labelled.allSatisfy { Int($0.position) % 10 == 0 })
    }

    @Test func coordinatesCarryAtMostTwoDecimals() throws {
        let svg = collapsePlot().render()
        let longDecimals = try NSRegularExpression(pattern: "[0-9]\\.[0-9]{3,}")
        let attributes = try parse(svg).rootElement()!.xmlString
        #expect(longDecimals.numberOfMatches(in: attributes, range: NSRange(attributes.startIndex..., in: attributes)) == 0)
    }

    func heatMap(withMissingCell: Bool) -> HeatMap {
        let widths = [10.0, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000]
        let thresholds = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2]
        var values = thresholds.map { theta in widths.map { n in theta * theta / sqrt(n) } }
        if withMissingCell { values[3][4] = .nan }
        return HeatMap(
            title: "Deviation from mean field", xLabel: "width n", yLabel: "threshold θ", colorLabel: "relative deviation",
            x: .values(widths, log: true), y: .values(thresholds), values: values,
            colorScale: ColorScale(log: true),
            overlays: [HeatMapOverlay(name: "χ = 1", x: [10, 100, 10000], y: [0.5, 1, 2])], showValues: true)
    }

    @Test func heatMapHasRowsTimesColumnsCellsAndTheOverlayLine() throws {
        let document = try parse(heatMap(withMissingCell: true).render())
        #expect(try nodes(document, "//*[@class='cell']").count == 80)
        let overlay = try nodes(document, "//*[@class='overlay' and @data-series='χ = 1']/*[local-name()='path']")
        #expect(overlay.count == 2, "halo and line")
        let legend = try nodes(document, "//*[@class='legend-entry']/@data-series").map { $0.stringValue ?? "" }
        #expect(legend == ["χ = 1", "no data"])
        let hatched = try nodes(document, "//*[@class='cell' and starts-with(@fill, 'url(#')]")
        #expect(hatched.count == 1)
        #expect(try nodes(document, "//*[@class='cell-values']/*").count == 79, "every cell with data is annotated")
        #expect(try !nodes(document, "//*[@class='color-bar']//*[local-name()='text']").isEmpty)
    }

    @Test func heatMapWithoutMissingCellsHasNoNoDataLegend() throws {
        let legend = try nodes(parse(heatMap(withMissingCell: false).render()), "//*[@class='legend-entry']/@data-series")
        #expect(legend.map { $0.stringValue ?? "" } == ["χ = 1"])
    }

    @Test func overlayCoordinatesInterpolateBetweenCellCentres() {
        let axis = HeatMapAxis.values([10, 100, 1000], log: true)
        #expect(axis.position(of: 100) == 1)
        #expect(abs(axis.position(of: sqrt(10) * 100)! - 1.5) < 1e-12)
        #expect(abs(axis.position(of: 1)! + 1) < 1e-12, "extrapolated below the first cell")
        #expect(axis.position(of: 0) == nil)
        let descending = HeatMapAxis.values([2, 1, 0])
        #expect(descending.position(of: 0.5) == 1.5)
    }

    @Test func divergingScaleIsNeutralAtItsCentreAndSymmetric() {
        let scale = ColorScale(mode: .diverging(center: 1), log: true).resolved(for: [0.5, 1, 4])
        #expect(abs(scale.lower + log10(4)) < 1e-12 && abs(scale.upper - log10(4)) < 1e-12)
        #expect(ResolvedColorScale.hex(scale.color(for: 1)!) == "#F7F7F7")
        #expect(ResolvedColorScale.hex(scale.color(for: 4)!) == "#B2182B")
        #expect(ResolvedColorScale.hex(scale.color(for: 0.25)!) == "#2166AC")
        #expect(scale.color(for: .nan) == nil)
        let sequential = ColorScale().resolved(for: [2, 3, .nan])
        #expect(ResolvedColorScale.hex(sequential.color(for: 2)!) == "#440154")
        #expect(ResolvedColorScale.hex(sequential.color(for: 3)!) == "#FDE725")
    }

    @Test func smallMultiplesPutsPanelsSideBySideWithUniqueIDs() throws {
        var variance = collapsePlot()
        variance.legend = .hidden
        variance.width = 480
        let rate = LinePlot(title: "Rate", xLabel: "layer l", yLabel: "spike probability", width: 560,
                            series: [PlotSeries(name: "paper", x: [1, 2, 3], y: [0.16, 0.16, 0.16])])
        let figure = SmallMultiples(title: "Variance and rate against depth",
                                    panels: [variance, rate, heatMap(withMissingCell: true), heatMap(withMissingCell: true)])
        #expect(figure.renderedWidth == 480 + 560 + 720 + 720)
        let document = try parse(figure.render())
        #expect(try nodes(document, "//*[@class='panel']").count == 4)
        #expect(try nodes(document, "//*[@class='legend-entry' and @data-series='kaiming']").isEmpty)
        let ids = try nodes(document, "//@id").map { $0.stringValue ?? "" }
        #expect(ids.count == 4 && Set(ids).count == 4)
        let twoRows = SmallMultiples(title: "", columns: 2, panels: [variance, rate, rate])
        #expect(twoRows.renderedWidth == 560 + 560 && twoRows.renderedHeight == 880, "columns as wide as their widest panel")
    }
}
