#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Grid coordinates written as text (`phase`'s thresholds and scales, `validity`'s thresholds): `a,b,c` (sorted,
/// duplicates dropped), `start:stop:count` (evenly spaced) or `start:stop:count:log` (geometrically spaced), every
/// value finite and > 0.
public enum GridValues {
    public static let maximumCount = 1000

    public static func parse(_ text: String, parameter: String) throws -> [Double] {
        let allowed = "a comma-separated list of numbers > 0, or start:stop:count[:log] with 0 < start < stop and "
            + "2 <= count <= \(maximumCount)"
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 3 || (parts.count == 4 && parts[3] == "log") {
            guard let a = Double(parts[0]), let b = Double(parts[1]), let n = Int(parts[2]), a.isFinite, b.isFinite,
                  a > 0, b > a, n >= 2, n <= maximumCount
            else { throw ModelError.invalid(parameter: parameter, value: text, allowed: allowed) }
            if parts.count == 4 {
                let ratio = log(b / a)
                return (0..<n).map { $0 == n - 1 ? b : a * exp(ratio * Double($0) / Double(n - 1)) }
            }
            return (0..<n).map { a + (b - a) * Double($0) / Double(n - 1) }
        }
        let items = parts.count == 1 ? text.split(separator: ",", omittingEmptySubsequences: false) : []
        let values = items.compactMap {
            Double(LayerShape.trimmingBlanks($0)).flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
        }
        guard !items.isEmpty, values.count == items.count, values.count <= maximumCount else {
            throw ModelError.invalid(parameter: parameter, value: text, allowed: allowed)
        }
        // A grid axis runs one way: the heat map places its cells, and the critical line, in increasing order.
        return Array(Set(values)).sorted()
    }

    /// The widths of `validity`'s grid table, `a,b,c` in the order given, each from 1 to 65536.
    public static func widths(_ text: String) throws -> [Int] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
        let values = items.compactMap { Int($0).flatMap { $0 >= 1 && $0 <= 65536 ? $0 : nil } }
        guard !items.isEmpty, values.count == items.count else {
            throw ModelError.invalid(parameter: "widths", value: text, allowed: "comma-separated integers from 1 to 65536")
        }
        return values
    }
}
