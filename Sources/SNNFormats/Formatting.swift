import Foundation
import SNNSupport

/// Number and table formatting for people: significant figures, and values past Double's range shown from
/// their base-10 logarithm (a variance of 4.4e-771 prints as such, not as 0).
public enum Format {
    /// `digits` significant figures, plain or scientific as suits the magnitude.
    public static func number(_ x: Double, digits: Int = 4) -> String { SignificantFigures.text(x, digits: digits) }

    /// A positive quantity known by its natural log: printed normally while a Double holds it, as m.mme-NNN below.
    public static func fromLog(value: Double, log logValue: Double, digits: Int = 4) -> String {
        if value > 0 || logValue.isNaN { return number(value, digits: digits) }
        if logValue == -.infinity { return "<1e-10000" }
        let log10Value = logValue / log(10.0)
        if log10Value < -1e4 { return "<1e-10000" }
        let exponent = floor(log10Value)
        let mantissa = pow(10, log10Value - exponent)
        return String(format: "%.\(max(digits - 2, 0))fe%d", mantissa, Int(exponent))
    }

    /// Right-aligned columns with a header rule.
    public static func table(header: [String], rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in String(repeating: " ", count: widths[i] - c.count) + c }
                .joined(separator: "  ")
        }
        var out = [line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        out += rows.map(line)
        return out.joined(separator: "\n")
    }

    /// One CSV field: quoted when it holds a comma, quote or newline.
    public static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// Shortest round-trip text for CSV; empty for a missing or non-finite value (JSON writes null for both, e.g. the
    /// log10 of a rate that is exactly 0).
    public static func exact(_ x: Double?) -> String {
        guard let x, x.isFinite else { return "" }
        return "\(x)"
    }
}
