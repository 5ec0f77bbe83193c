import Foundation

/// How an axis maps values to positions.
public enum AxisScale: Sendable {
    case linear
    /// Base-10 logarithmic: only positive finite values have a position.
    case log10
}

/// A tick label: plain text, or a power of ten written 10 with a raised exponent.
enum TickLabel: Equatable {
    case text(String)
    case powerOfTen(Int)

    /// Estimated width in pixels at `size`.
    func width(size: Double) -> Double {
        switch self {
        case .text(let s): SVGCanvas.textWidth(s, size: size)
        case .powerOfTen(let k): SVGCanvas.textWidth("10", size: size) + SVGCanvas.textWidth(String(k), size: 0.75 * size)
        }
    }

    /// A typographic minus sign in place of the hyphen.
    static func minus(_ s: String) -> String { s.replacingOccurrences(of: "-", with: "\u{2212}") }
}

struct AxisTick {
    /// Position in the axis's transformed units (the value itself, or its log10).
    let position: Double
    /// Nil for an unlabelled minor tick.
    let label: TickLabel?
}

/// One axis's visible range, held in transformed units (log10 of the value on a log axis), and its ticks.
struct PlotAxis {
    let scale: AxisScale
    let lower: Double
    let upper: Double

    /// The value in transformed units, or nil when the axis cannot show it (not finite; not positive on a log axis).
    func transform(_ value: Double) -> Double? {
        guard value.isFinite else { return nil }
        switch scale {
        case .linear: return value
        case .log10: return value > 0 ? Foundation.log10(value) : nil
        }
    }

    /// Where `t` (transformed units) falls between the ends: 0 at `lower`, 1 at `upper`, beyond outside the range.
    func fraction(_ t: Double) -> Double { (t - lower) / (upper - lower) }

    /// The untransformed value at transformed position `t`.
    func value(at t: Double) -> Double { scale == .linear ? t : pow(10, t) }

    /// The axis range for `values`, each bound taken from the caller when given.
    ///
    /// Linear: the data range rounded out to a 1-2-5 step, padded when all values are equal. Log: whole decades
    /// around the positive finite values, but only about `maxDecades` below the top when no lower bound is given
    /// (a variance that collapses to 1e-300 would otherwise squeeze every other curve into one line); that floor
    /// goes down to a multiple of ten decades, so the axis ends on a labelled power of ten.
    static func fitting(_ scale: AxisScale, values: [Double], min userMin: Double?, max userMax: Double?,
                        maxDecades: Double? = nil) -> PlotAxis {
        switch scale {
        case .linear:
            let finite = values.filter(\.isFinite)
            var lo = userMin ?? finite.min() ?? 0
            var hi = userMax ?? finite.max() ?? 1
            if !(lo < hi) {
                let pad = lo == 0 ? 1 : abs(lo) * 0.1
                switch (userMin, userMax) {
                case (nil, nil): (lo, hi) = (lo - pad, hi + pad)
                case (nil, _): lo = hi - 2 * pad
                case (_, nil): hi = lo + 2 * pad
                default: preconditionFailure("axis minimum \(lo) is not below its maximum \(hi)")
                }
            }
            let step = niceStep((hi - lo) / 5)
            if userMin == nil { lo = (lo / step + 1e-9).rounded(.down) * step }
            if userMax == nil { hi = (hi / step - 1e-9).rounded(.up) * step }
            return PlotAxis(scale: .linear, lower: lo, upper: hi)
        case .log10:
            precondition((userMin ?? 1) > 0 && (userMax ?? 1) > 0, "log-axis bounds must be positive")
            let logs = values.filter { $0 > 0 && $0.isFinite }.map { Foundation.log10($0) }
            var hi = userMax.map { Foundation.log10($0) } ?? logs.max().map { ($0 - 1e-9).rounded(.up) } ?? 0
            var lo = userMin.map { Foundation.log10($0) } ?? logs.min().map { ($0 + 1e-9).rounded(.down) } ?? hi - 1
            // A capped floor goes down to a whole number of ten decades, so that it carries a tick label.
            if userMin == nil, let maxDecades, lo < hi - maxDecades {
                lo = maxDecades >= 10 ? ((hi - maxDecades) / 10).rounded(.down) * 10 : hi - maxDecades
            }
            if !(lo < hi) {
                switch (userMin, userMax) {
                case (nil, nil): (lo, hi) = (lo - 1, hi + 1)
                case (nil, _): lo = hi - 1
                case (_, nil): hi = lo + 1
                default: preconditionFailure("axis minimum 1e\(lo) is not below its maximum 1e\(hi)")
                }
            }
            return PlotAxis(scale: .log10, lower: lo, upper: hi)
        }
    }

    /// 1, 2 or 5 times a power of ten, at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let base = pow(10, (Foundation.log10(raw)).rounded(.down))
        let f = raw / base
        return (f <= 1 + 1e-9 ? 1 : f <= 2 + 1e-9 ? 2 : f <= 5 + 1e-9 ? 5 : 10) * base
    }

    /// Ticks for an axis `length` pixels long: labelled ticks at least `spacing` pixels apart (a readable density;
    /// 50 on a vertical axis and 70 on a horizontal one give 4 to 8 labels), and further apart if the labels,
    /// `labelExtent(label)` pixels along the axis (width on a horizontal axis, height on a vertical one), need it.
    func ticks(length: Double, spacing: Double = 50, labelExtent: (TickLabel) -> Double) -> [AxisTick] {
        let pixelsPerUnit = length / (upper - lower)
        func generate(_ spacing: Double) -> [AxisTick] {
            scale == .linear ? linearTicks(length: length, minSpacing: spacing)
                             : logTicks(length: length, minSpacing: spacing)
        }
        func collides(_ ticks: [AxisTick]) -> Bool {
            let labelled = ticks.filter { $0.label != nil }
            return zip(labelled, labelled.dropFirst()).contains { a, b in
                (b.position - a.position) * pixelsPerUnit < (labelExtent(a.label!) + labelExtent(b.label!)) / 2 + 6
            }
        }
        func labelCount(_ ticks: [AxisTick]) -> Int { ticks.filter { $0.label != nil }.count }
        var spacing = spacing
        var result = generate(spacing)
        // Fewer than two labels do not show the scale: ask for denser ticks while their labels still clear.
        while labelCount(result) < 2, spacing > 4 {
            spacing /= 1.5
            let denser = generate(spacing)
            if collides(denser) { break }
            result = denser
        }
        for _ in 0..<12 where collides(result) {
            spacing *= 1.5
            result = generate(spacing)
        }
        return result
    }

    private func linearTicks(length: Double, minSpacing: Double) -> [AxisTick] {
        let maxCount = Swift.max(1, (length / minSpacing).rounded(.down))
        let step = Self.niceStep((upper - lower) / maxCount)
        // A range too wide for a Double (its span overflows) gets no ticks rather than a crash.
        guard ((upper - lower) / step).isFinite, (upper - lower) / step < 1000 else { return [] }
        let first = Int((lower / step - 1e-9).rounded(.up)), last = Int((upper / step + 1e-9).rounded(.down))
        guard first <= last else { return [] }
        let largest = Swift.max(abs(lower), abs(upper))
        return (first...last).map { i in
            let v = Double(i) * step
            return AxisTick(position: v, label: .text(Self.linearLabel(v, step: step, largest: largest)))
        }
    }

    /// A linear tick value with as many decimals as its step needs; scientific for very large or small steps.
    static func linearLabel(_ v: Double, step: Double, largest: Double) -> String {
        let stepExponent = Int(Foundation.log10(step).rounded(.down))
        if largest >= 1e6 || step < 1e-4 {
            if v == 0 { return "0" }
            let digits = Swift.max(0, Int(Foundation.log10(abs(v)).rounded(.down)) - stepExponent)
            return minus(compactExponent(String(format: "%.\(digits)e", v)))
        }
        return minus(String(format: "%.\(Swift.max(0, -stepExponent))f", v))
    }

    private func logTicks(length: Double, minSpacing: Double) -> [AxisTick] {
        let span = upper - lower
        let pixelsPerDecade = length / span
        let kLow = Int((lower - 1e-9).rounded(.up)), kHigh = Int((upper + 1e-9).rounded(.down))
        if span <= 2.5 {
            // A few decades: 1, 2 and 5 times each power labelled when there is room, the other mantissas as
            // minor ticks.
            var labelledMantissas: Set<Int> = [1, 2, 5]
            if Foundation.log10(2) * pixelsPerDecade < minSpacing, kLow <= kHigh { labelledMantissas = [1] }
            var ticks: [AxisTick] = []
            for k in Int(lower.rounded(.down))...Int(upper.rounded(.up)) {
                for m in 1...9 {
                    let t = Double(k) + Foundation.log10(Double(m))
                    guard t >= lower - 1e-9, t <= upper + 1e-9 else { continue }
                    let label = labelledMantissas.contains(m) ? Self.logLabel(mantissa: m, exponent: k) : nil
                    ticks.append(AxisTick(position: t, label: label))
                }
            }
            return ticks
        }
        guard kLow <= kHigh else { return [] }
        let every = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000].first { Double($0) * pixelsPerDecade >= minSpacing } ?? 1000
        let labelled = (kLow...kHigh).filter { $0 % every == 0 }
        let plain = labelled.allSatisfy { (-2...3).contains($0) }
        return (kLow...kHigh).compactMap { k in
            if k % every == 0 {
                return AxisTick(position: Double(k), label: plain ? .text(Self.plainPower(k)) : .powerOfTen(k))
            }
            return pixelsPerDecade >= 4 ? AxisTick(position: Double(k), label: nil) : nil
        }
    }

    private static func logLabel(mantissa m: Int, exponent k: Int) -> TickLabel {
        if (-3...4).contains(k) {
            let v = Double(m) * pow(10, Double(k))
            return .text(k >= 0 ? String(format: "%.0f", v) : String(format: "%.\(-k)f", v))
        }
        return m == 1 ? .powerOfTen(k) : .text(minus("\(m)e\(k)"))
    }

    private static func plainPower(_ k: Int) -> String {
        k >= 0 ? String(format: "%.0f", pow(10, Double(k))) : String(format: "%.\(-k)f", pow(10, Double(k)))
    }

    /// "2.5e+07" -> "2.5e7", "1e-05" -> "1e-5".
    static func compactExponent(_ s: String) -> String {
        guard let e = s.firstIndex(of: "e") else { return s }
        let mantissa = s[..<e], exponent = Int(s[s.index(after: e)...]) ?? 0
        return "\(mantissa)e\(exponent)"
    }

    /// A bound for notes such as "values below 1e-40 not shown".
    static func boundText(_ v: Double) -> String { compactExponent(String(format: "%.3g", v)) }

    private static func minus(_ s: String) -> String { TickLabel.minus(s) }
}
