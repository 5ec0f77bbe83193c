import Foundation

/// How a `HeatMap` turns values into colours.
///
/// Sequential: viridis, dark (low) to yellow (high), readable in greyscale and by colour-blind readers.
/// Diverging: blue (below the centre) through white (at it) to red (above), ColorBrewer's RdBu.
/// Values outside the range take the colour of the nearer end; on a log scale, zero and negative values take
/// the low end. NaN is "no data" and is drawn hatched, never coloured.
public struct ColorScale: Sendable {
    public enum Mode: Sendable {
        case sequential
        /// Centred at `center`: equal distances above and below it get equally strong colours.
        case diverging(center: Double)
    }

    var mode: Mode
    /// Colours spread over log10 of the value.
    var log: Bool
    /// Range ends; nil takes the data range (made symmetric about the centre when diverging).
    var min: Double?
    var max: Double?

    public init(mode: Mode = .sequential, log: Bool = false, min: Double? = nil, max: Double? = nil) {
        precondition(!log || ((min ?? 1) > 0 && (max ?? 1) > 0), "log colour-scale bounds must be positive")
        if log, case .diverging(let center) = mode { precondition(center > 0, "log colour scale centred at \(center)") }
        self.mode = mode
        self.log = log
        self.min = min
        self.max = max
    }

    static let viridis: [(Double, Double, Double)] = [
        (0x44, 0x01, 0x54), (0x46, 0x33, 0x7E), (0x36, 0x5C, 0x8D), (0x27, 0x7F, 0x8E),
        (0x1F, 0xA1, 0x87), (0x4A, 0xC1, 0x6D), (0x9F, 0xDA, 0x3A), (0xFD, 0xE7, 0x25),
    ]
    static let blueWhiteRed: [(Double, Double, Double)] = [
        (0x21, 0x66, 0xAC), (0x43, 0x93, 0xC3), (0x92, 0xC5, 0xDE), (0xD1, 0xE5, 0xF0), (0xF7, 0xF7, 0xF7),
        (0xFD, 0xDB, 0xC7), (0xF4, 0xA5, 0x82), (0xD6, 0x60, 0x4D), (0xB2, 0x18, 0x2B),
    ]

    /// The value in the scale's units (log10 of it on a log scale); nil when it has none.
    func transform(_ v: Double) -> Double? {
        guard v.isFinite else { return nil }
        if log { return v > 0 ? Foundation.log10(v) : nil }
        return v
    }

    /// The scale fitted to `values`: its ends and centre in transformed units.
    func resolved(for values: [Double]) -> ResolvedColorScale {
        let data = values.compactMap(transform)
        var lo = min.flatMap(transform) ?? data.min() ?? 0
        var hi = max.flatMap(transform) ?? data.max() ?? 1
        var centre: Double?
        if case .diverging(let c) = mode, let tc = transform(c) {
            let half = Swift.max(abs(hi - tc), abs(lo - tc), 1e-12)
            if min == nil { lo = Swift.min(lo, tc - half) }
            if max == nil { hi = Swift.max(hi, tc + half) }
            centre = tc
        }
        if !(lo < hi) {
            let pad = lo == 0 || log ? 1 : abs(lo) * 0.1
            switch (min, max) {
            case (nil, nil): (lo, hi) = (lo - pad, hi + pad)
            case (nil, _): lo = hi - pad
            case (_, nil): hi = lo + pad
            default: preconditionFailure("colour-scale minimum is not below its maximum")
            }
        }
        return ResolvedColorScale(lower: lo, upper: hi, centre: centre.map { Swift.min(Swift.max($0, lo), hi) },
                                  scale: self)
    }
}

/// A `ColorScale` with its range fixed, ready to colour cells and draw a colour bar.
struct ResolvedColorScale {
    let lower: Double
    let upper: Double
    let centre: Double?
    let scale: ColorScale

    /// Position 0...1 along the palette of a value in transformed units.
    func palettePosition(transformed t: Double) -> Double {
        let p: Double
        if let centre {
            p = t < centre ? 0.5 * (t - lower) / Swift.max(centre - lower, 1e-300)
                           : 0.5 + 0.5 * (t - centre) / Swift.max(upper - centre, 1e-300)
        } else {
            p = (t - lower) / (upper - lower)
        }
        return Swift.min(Swift.max(p, 0), 1)
    }

    /// The fill for `value`, or nil for NaN (no data).
    func color(for value: Double) -> (r: Double, g: Double, b: Double)? {
        if value.isNaN { return nil }
        let position: Double
        if let t = scale.transform(value) {
            position = palettePosition(transformed: t)
        } else {
            position = value == .infinity ? 1 : 0
        }
        return color(atPalettePosition: position)
    }

    func color(atPalettePosition p: Double) -> (r: Double, g: Double, b: Double) {
        let stops = centre == nil ? ColorScale.viridis : ColorScale.blueWhiteRed
        let x = p * Double(stops.count - 1)
        let i = Swift.min(Int(x), stops.count - 2), f = x - Double(i)
        let a = stops[i], b = stops[i + 1]
        return (a.0 + f * (b.0 - a.0), a.1 + f * (b.1 - a.1), a.2 + f * (b.2 - a.2))
    }

    static func hex(_ c: (r: Double, g: Double, b: Double)) -> String {
        String(format: "#%02X%02X%02X", Int(c.r.rounded()), Int(c.g.rounded()), Int(c.b.rounded()))
    }

    /// Whether black text contrasts more than white with `c`: relative luminance above 0.179, where the two
    /// contrast ratios (WCAG) are equal.
    static func isLight(_ c: (r: Double, g: Double, b: Double)) -> Bool {
        func linear(_ v: Double) -> Double {
            let s = v / 255
            return s <= 0.04045 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * linear(c.r) + 0.7152 * linear(c.g) + 0.0722 * linear(c.b) > 0.179
    }
}
