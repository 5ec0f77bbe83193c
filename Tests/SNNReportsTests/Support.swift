import Foundation
import SNNFormats

/// Reading what the reports write, by structure rather than by text.
enum Read {
    static func keys(_ value: JSON?) -> [String] {
        if case let .object(pairs)? = value { return pairs.map(\.0) }
        return []
    }

    static func array(_ value: JSON?) -> [JSON] {
        if case let .array(items)? = value { return items }
        return []
    }

    /// The CSV's header and data rows (comment lines dropped), each split into fields.
    static func csv(_ text: String) -> (header: [String], rows: [[String]]) {
        let lines = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        let split = lines.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        return (split.first ?? [], Array(split.dropFirst()))
    }

    /// The rows of the first `Format.table` in `text`: the lines under its rule of dashes, down to the first empty one.
    static func tableRows(in text: String) -> [Substring] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let rule = lines.firstIndex(where: { !$0.isEmpty && $0.allSatisfy { $0 == "-" || $0 == " " } }) else {
            return []
        }
        return Array(lines[(rule + 1)...].prefix { !$0.isEmpty })
    }

    static func firstColumn(ofTableIn text: String) -> [String] {
        tableRows(in: text).map { String($0.split(separator: " ").first ?? "") }
    }
}

/// The standard normal density and tail, from their definitions.
enum Normal {
    static func density(_ x: Double) -> Double { exp(-x * x / 2) / (2 * Double.pi).squareRoot() }
    static func tail(_ x: Double) -> Double { erfc(x / 2.0.squareRoot()) / 2 }
    /// chi = x phi(x) / (2 Q(x)): the slope of the paper's variance map at its fixed point, x = theta / sigma_t.
    static func fixedPointSlope(thresholdOverSigma x: Double) -> Double { x * density(x) / (2 * tail(x)) }
}
