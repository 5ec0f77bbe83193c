import Foundation

/// A number in `digits` significant figures for people: `%g` between 1e-3 and 1e6, scientific outside, "nan", "inf"
/// and "0" as such. One definition for the tool's tables and for the messages of libraries that must not import the
/// output formats.
public enum SignificantFigures {
    public static func text(_ x: Double, digits: Int = 4) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        if x == 0 { return "0" }
        let magnitude = abs(x)
        if magnitude >= 1e-3 && magnitude < 1e6 {
            return String(format: "%.\(digits)g", x)
        }
        return String(format: "%.\(max(digits - 1, 0))e", x)
    }
}
