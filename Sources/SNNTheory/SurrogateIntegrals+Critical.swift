import Foundation
import SNNModel

/// A surrogate question the integrals cannot answer.
public enum SurrogateIntegralError: Error, CustomStringConvertible, Equatable {
    /// straight_through has no scale to solve for.
    case noScale(Surrogate.Kind)
    /// chi_back does not cross 1 for any scale in the searched range.
    case noCrossing(kind: Surrogate.Kind, threshold: Double, targetVariance: Double)

    public var description: String {
        switch self {
        case let .noScale(kind):
            "surrogate: '\(kind.rawValue)' has no scale to solve for"
        case let .noCrossing(kind, theta, variance):
            "surrogate: no \(kind.rawValue) scale in [\(SurrogateIntegrals.criticalScaleRange.lowerBound), "
                + "\(SurrogateIntegrals.criticalScaleRange.upperBound)] gives chi_back = 1 at theta \(theta), "
                + "target variance \(variance)"
        }
    }
}

/// The backward gain of the paper's initialization and the surrogate scale that makes it 1 (THEORY.md section 7).
extension SurrogateIntegrals {
    /// chi_back = n Var[w] E[h(u - theta)^2] for the paper's Var[w] = sigma_t^2 / (n Q(theta / sigma_t)) and
    /// u ~ N(0, sigma_t^2): sigma_t^2 E[h(u - theta)^2] / Q(theta / sigma_t), the factor by which one layer scales the
    /// mean squared gradient at the first time step (independent weights and potentials, mean field).
    public static func backwardGain(_ h: Surrogate, threshold theta: Double, targetVariance variance: Double) throws
        -> Double
    {
        precondition(theta > 0 && theta.isFinite && variance > 0 && variance.isFinite,
                     "backwardGain needs theta > 0 and a target variance > 0")
        let sigma = variance.squareRoot()
        return variance * (try secondMoment(h, offset: -theta, standardDeviation: sigma))
            / StandardNormal.tail(theta / sigma)
    }

    /// The scales searched by `criticalScale`.
    public static let criticalScaleRange: ClosedRange<Double> = 1e-4...1e4

    /// The scale of a `kind` surrogate (amplitude as given, else the framework's) at which chi_back = 1: the first
    /// sign change of chi_back - 1 on 161 log-spaced scales over `criticalScaleRange` (20 per decade), refined by
    /// Brent's method (GSL) to relative 1e-14. Throws `SurrogateIntegralError` for straight_through or when no scale in the
    /// range crosses.
    public static func criticalScale(_ kind: Surrogate.Kind, amplitude: Double? = nil, threshold theta: Double = 1,
                                     targetVariance variance: Double = 1) throws -> Double {
        guard kind != .straightThrough else { throw SurrogateIntegralError.noScale(kind) }
        func excess(_ scale: Double) throws -> Double {
            try backwardGain(Surrogate(kind, scale: scale, amplitude: amplitude), threshold: theta,
                             targetVariance: variance) - 1
        }
        let (low, high) = (log(criticalScaleRange.lowerBound), log(criticalScaleRange.upperBound))
        let grid = (0...160).map { i in
            i == 160 ? criticalScaleRange.upperBound : exp(low + (high - low) * Double(i) / 160)
        }
        var previous = try excess(grid[0])
        for i in 1..<grid.count {
            let current = try excess(grid[i])
            if (previous > 0) != (current > 0) {
                var failure: Error?
                do {
                    let root = try GSL.findRoot(lower: grid[i - 1], upper: grid[i]) { scale in
                        do { return try excess(scale) } catch {
                            failure = failure ?? error
                            return .nan
                        }
                    }
                    if let failure { throw failure }
                    return root
                } catch {
                    throw failure ?? error
                }
            }
            previous = current
        }
        throw SurrogateIntegralError.noCrossing(kind: kind, threshold: theta, targetVariance: variance)
    }
}
