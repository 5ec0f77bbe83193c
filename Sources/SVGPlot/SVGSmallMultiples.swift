import Foundation

/// Several figures in one SVG document, in a grid filled row by row under a shared title: "variance and rate
/// against depth" as two `LinePlot`s side by side. Panels keep their own sizes; each column is as wide as its
/// widest panel, each row as tall as its tallest. Give all but one panel `legend: .hidden` when they share series.
public struct SmallMultiples: SVGFigure {
    public internal(set) var title: String
    var panels: [any SVGFigure]
    var columns: Int

    /// `columns` nil puts every panel in one row.
    public init(title: String, columns: Int? = nil, panels: [any SVGFigure]) {
        precondition(columns == nil || columns! >= 1, "small multiples need at least one column")
        self.title = title
        self.panels = panels
        self.columns = columns ?? Swift.max(panels.count, 1)
    }

    private static let pad = 10.0, titleSize = 16.0

    private var titleText: FittedText {
        FittedText(title, size: Self.titleSize, room: columnWidths.reduce(0, +) - 2 * Self.pad, bold: true)
    }

    private var titleHeight: Double { title.isEmpty ? 0 : Self.pad + titleText.height + 4 }

    private var columnWidths: [Double] {
        (0..<columns).map { c in stride(from: c, to: panels.count, by: columns).map { panels[$0].renderedWidth }.max() ?? 0 }
    }

    private var rowHeights: [Double] {
        stride(from: 0, to: panels.count, by: columns).map { start in
            panels[start..<Swift.min(start + columns, panels.count)].map(\.renderedHeight).max() ?? 0
        }
    }

    public var renderedWidth: Double { Swift.max(columnWidths.reduce(0, +), 1) }
    public var renderedHeight: Double { Swift.max(titleHeight + rowHeights.reduce(0, +), 1) }

    public func draw(into canvas: inout SVGCanvas, idPrefix: String) {
        canvas.rect(x: 0, y: 0, width: renderedWidth, height: renderedHeight, "fill=\"#fff\"")
        let titleText = titleText
        canvas.text(titleText, x: renderedWidth / 2, y: Self.pad + titleText.size, anchor: .middle,
                    attributes: "font-weight=\"bold\"")
        let widths = columnWidths, heights = rowHeights
        for (index, panel) in panels.enumerated() {
            let column = index % columns, row = index / columns
            let x = widths[..<column].reduce(0, +), y = titleHeight + heights[..<row].reduce(0, +)
            canvas.group("class=\"panel\" transform=\"translate(\(SVGCanvas.number(x)) \(SVGCanvas.number(y)))\"") {
                panel.draw(into: &$0, idPrefix: "\(idPrefix)-p\(index)")
            }
        }
    }
}
