import Foundation
import SNNFormats

/// The standard normal density and tail, from their definitions.
enum Normal {
    static func density(_ x: Double) -> Double { exp(-x * x / 2) / (2 * Double.pi).squareRoot() }
    static func tail(_ x: Double) -> Double { erfc(x / 2.0.squareRoot()) / 2 }
    /// chi = x phi(x) / (2 Q(x)): the slope of the paper's variance map at its fixed point, x = theta / sigma_t.
    static func fixedPointSlope(thresholdOverSigma x: Double) -> Double { x * density(x) / (2 * tail(x)) }
}
