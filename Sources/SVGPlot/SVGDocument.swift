import Foundation

/// A figure that can draw itself into an SVG document: a `LinePlot`, a `HeatMap`, or several of them side by side.
public protocol SVGFigure {
    /// Shown as the figure's heading and as the document's `<title>`.
    var title: String { get }
    /// Size of the drawing in SVG user units (CSS pixels at 100 %): the size asked for, unless the figure had to
    /// grow to keep its data readable.
    var renderedWidth: Double { get }
    var renderedHeight: Double { get }
    /// Draws the figure with its top-left corner at the origin. `idPrefix` keeps element ids (hatch patterns,
    /// gradients) unique when several figures share one document.
    func draw(into canvas: inout SVGCanvas, idPrefix: String)
}

extension SVGFigure {
    /// The figure as a standalone SVG document: explicit width, height and viewBox, generic sans-serif,
    /// no scripts, no external resources.
    public func render() -> String {
        var canvas = SVGCanvas()
        canvas.beginDocument(width: renderedWidth, height: renderedHeight, title: title)
        draw(into: &canvas, idPrefix: "f0")
        canvas.endDocument()
        return canvas.text
    }
}

/// An SVG document assembled as text. Coordinates are written with at most two decimals: a hundredth of a pixel is
/// invisible, and it keeps files with thousands of points small.
public struct SVGCanvas {
    private(set) var text = ""

    mutating func beginDocument(width: Double, height: Double, title: String) {
        let w = Self.number(width), h = Self.number(height)
        text += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        text += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\""
        text += " font-family=\"sans-serif\">\n"
        if !title.isEmpty { text += "<title>\(Self.escape(title))</title>\n" }
    }

    mutating func endDocument() { text += "</svg>\n" }

    /// Appends markup the caller has built; any user text in it must already be escaped.
    mutating func raw(_ markup: String) { text += markup }

    /// `<g ATTRIBUTES>` ... `</g>` around whatever `body` draws.
    mutating func group(_ attributes: String, _ body: (inout SVGCanvas) -> Void) {
        text += attributes.isEmpty ? "<g>\n" : "<g \(attributes)>\n"
        body(&self)
        text += "</g>\n"
    }

    mutating func rect(x: Double, y: Double, width: Double, height: Double, _ attributes: String) {
        text += "<rect x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" width=\"\(Self.number(width))\""
        text += " height=\"\(Self.number(height))\" \(attributes)/>\n"
    }

    mutating func line(_ a: SVGPoint, _ b: SVGPoint, _ attributes: String) {
        text += "<line x1=\"\(Self.number(a.x))\" y1=\"\(Self.number(a.y))\" x2=\"\(Self.number(b.x))\""
        text += " y2=\"\(Self.number(b.y))\" \(attributes)/>\n"
    }

    mutating func path(_ d: String, _ attributes: String) {
        guard !d.isEmpty else { return }
        text += "<path d=\"\(d)\" \(attributes)/>\n"
    }

    enum Anchor: String { case start, middle, end }

    /// One line of text; `rotated` turns it to read bottom-to-top around its anchor point (for y-axis labels).
    mutating func text(_ content: String, x: Double, y: Double, size: Double, anchor: Anchor = .start,
                       rotated: Bool = false, attributes: String = "") {
        text += "<text x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" font-size=\"\(Self.number(size))\""
        if anchor != .start { text += " text-anchor=\"\(anchor.rawValue)\"" }
        if rotated { text += " transform=\"rotate(-90 \(Self.number(x)) \(Self.number(y)))\"" }
        if !attributes.isEmpty { text += " " + attributes }
        text += ">\(Self.escape(content))</text>\n"
    }

    /// Text fitted by `FittedText`, one `<text>` element per line; a rotated block's later lines sit to the right.
    mutating func text(_ fitted: FittedText, x: Double, y: Double, anchor: Anchor = .start, rotated: Bool = false,
                       attributes: String = "") {
        for (i, line) in fitted.lines.enumerated() {
            let step = Double(i) * fitted.lineHeight
            text(line, x: rotated ? x + step : x, y: rotated ? y : y + step, size: fitted.size, anchor: anchor,
                 rotated: rotated, attributes: attributes)
        }
    }

    /// A tick label: plain text, or 10 with a raised exponent.
    mutating func tickLabel(_ label: TickLabel, x: Double, y: Double, size: Double, anchor: Anchor) {
        switch label {
        case .text(let s):
            text(s, x: x, y: y, size: size, anchor: anchor, attributes: "fill=\"#333\"")
        case .powerOfTen(let k):
            text += "<text x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" font-size=\"\(Self.number(size))\""
            if anchor != .start { text += " text-anchor=\"\(anchor.rawValue)\"" }
            text += " fill=\"#333\">10<tspan dy=\"\(Self.number(-0.45 * size))\""
            text += " font-size=\"\(Self.number(0.75 * size))\">\(TickLabel.minus(String(k)))</tspan></text>\n"
        }
    }

    /// Text safe inside XML character data and attribute values. Characters XML 1.0 forbids (control characters
    /// other than tab and newlines, U+FFFE, U+FFFF) are dropped.
    static func escape(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": out.append(contentsOf: "&quot;".unicodeScalars)
            case "'": out.append(contentsOf: "&apos;".unicodeScalars)
            case "\t", "\n", "\r": out.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF { continue }
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// A coordinate with at most two decimals, no trailing zeros, never "-0". Callers only pass finite numbers
    /// (everything drawn is clipped to the plot area first).
    static func number(_ x: Double) -> String {
        assert(x.isFinite, "non-finite coordinate reached the SVG writer")
        guard x.isFinite else { return "0" }
        let rounded = (x * 100).rounded() / 100
        if rounded == rounded.rounded(), abs(rounded) < 1e15 { return String(Int(rounded)) }
        var s = String(format: "%.2f", rounded)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }

    /// Width of `s` in sans-serif at `size`, estimated (no font metrics without a renderer): 0.6 em a character
    /// is DejaVu Sans's average for digits and lower case, slightly generous for narrower fonts.
    static func textWidth(_ s: String, size: Double, bold: Bool = false) -> Double {
        Double(s.count) * size * (bold ? 0.68 : 0.6)
    }
}

/// A title or axis label fitted to the room it has: on one line if it fits; else broken at the space that best
/// balances two lines; only then made smaller, never below 9 px, so it stays readable.
struct FittedText {
    let lines: [String]
    let size: Double

    init(_ text: String, size: Double, room: Double, bold: Bool = false) {
        let width = { (s: String) in SVGCanvas.textWidth(s, size: size, bold: bold) }
        if text.isEmpty {
            lines = []
        } else if width(text) <= room || !text.contains(" ") {
            lines = [text]
        } else {
            let words = text.split(separator: " ").map(String.init)
            let split = (1..<words.count).min { a, b in
                max(width(words[..<a].joined(separator: " ")), width(words[a...].joined(separator: " ")))
                    < max(width(words[..<b].joined(separator: " ")), width(words[b...].joined(separator: " ")))
            }!
            lines = [words[..<split].joined(separator: " "), words[split...].joined(separator: " ")]
        }
        let widest = lines.map(width).max() ?? 0
        self.size = widest <= room ? size : max(9, size * room / widest)
    }

    var lineHeight: Double { 1.2 * size }
    /// Height from the first line's top to the last line's baseline.
    var height: Double { lines.isEmpty ? 0 : size + extraHeight }
    /// What lines after the first add.
    var extraHeight: Double { lines.isEmpty ? 0 : Double(lines.count - 1) * lineHeight }
    func width(bold: Bool = false) -> Double { lines.map { SVGCanvas.textWidth($0, size: size, bold: bold) }.max() ?? 0 }
}

struct SVGPoint: Equatable {
    var x: Double
    var y: Double
}

/// The rectangle data are drawn in, in SVG coordinates (y grows downwards).
struct SVGRect {
    var left: Double
    var top: Double
    var right: Double
    var bottom: Double
    var width: Double { right - left }
    var height: Double { bottom - top }

    func contains(_ p: SVGPoint, tolerance: Double = 0.5) -> Bool {
        p.x >= left - tolerance && p.x <= right + tolerance && p.y >= top - tolerance && p.y <= bottom + tolerance
    }

    /// The part of segment a-b inside the rectangle (Liang-Barsky), or nil when it misses. Clipping in geometry,
    /// rather than with an SVG clipPath, keeps far-off coordinates (a variance of 1e-300 on a 40-decade axis)
    /// out of the file.
    func clip(_ a: SVGPoint, _ b: SVGPoint) -> (SVGPoint, SVGPoint)? {
        var t0 = 0.0, t1 = 1.0
        let dx = b.x - a.x, dy = b.y - a.y
        for (p, q) in [(-dx, a.x - left), (dx, right - a.x), (-dy, a.y - top), (dy, bottom - a.y)] {
            if p == 0 {
                if q < 0 { return nil }
                continue
            }
            let t = q / p
            if p < 0 {
                if t > t1 { return nil }
                t0 = max(t0, t)
            } else {
                if t < t0 { return nil }
                t1 = min(t1, t)
            }
        }
        return (SVGPoint(x: a.x + t0 * dx, y: a.y + t0 * dy), SVGPoint(x: a.x + t1 * dx, y: a.y + t1 * dy))
    }
}

/// Path data for a polyline that may leave the drawing area or have gaps: each segment is clipped, and the pen
/// lifts wherever the line leaves the area or a point is missing.
struct ClippedPolyline {
    let area: SVGRect
    private(set) var pathData = ""
    private var pen: SVGPoint?
    private var previous: SVGPoint?

    init(area: SVGRect) { self.area = area }

    /// The next vertex; nil is a gap (a value the axis cannot show).
    mutating func add(_ point: SVGPoint?) {
        guard let point, point.x.isFinite, point.y.isFinite else {
            previous = nil
            pen = nil
            return
        }
        defer { previous = point }
        guard let start = previous, let (a, b) = area.clip(start, point) else {
            pen = nil
            return
        }
        if let pen, abs(pen.x - a.x) < 1e-6, abs(pen.y - a.y) < 1e-6 {
            pathData += "L\(SVGCanvas.number(b.x)),\(SVGCanvas.number(b.y))"
        } else {
            pathData += "M\(SVGCanvas.number(a.x)),\(SVGCanvas.number(a.y))"
            pathData += "L\(SVGCanvas.number(b.x)),\(SVGCanvas.number(b.y))"
        }
        // The pen stays down only if the segment ended at its own end point, not where it left the area.
        pen = (abs(b.x - point.x) < 1e-6 && abs(b.y - point.y) < 1e-6) ? b : nil
    }
}
