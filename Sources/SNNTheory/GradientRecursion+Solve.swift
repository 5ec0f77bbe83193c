import Foundation
import SNNModel

/// No surrogate scale in `GradientRecursion.solvedScaleRange` holds the mean backward gain at 1 (e.g. when the forward
/// activity has collapsed, so no surrogate reaches the threshold).
public struct GradientSolveError: Error, CustomStringConvertible, Equatable {
    public let kind: Surrogate.Kind

    public var description: String {
        "surrogate: no \(kind.rawValue) scale in [\(GradientRecursion.solvedScaleRange.lowerBound), "
            + "\(GradientRecursion.solvedScaleRange.upperBound)] gives a mean chi_back of 1 at these weights"
    }
}

/// The surrogate scale that holds the gradient (THEORY.md section 10, "Solving for the surrogate").
extension GradientRecursion {
    /// The scales searched by `criticalScale`.
    public static let solvedScaleRange: ClosedRange<Double> = 1e-3...1e3

    /// The scale of a `kind` surrogate (amplitude as given, else the framework's) at which the network's mean backward
    /// gain `GradientPrediction.meanChi` is 1, so the pooled gradient variance neither grows nor shrinks across its
    /// layers: at T = 1 and a uniform paper initialization this is section 7's chi_back = 1; over several steps it is
    /// the multi-step recursion's per-layer growth, which the first step's chi does not predict. The first sign change
    /// of meanChi - 1 on 49 log-spaced scales over `solvedScaleRange` (8 per decade), refined by Brent's method (GSL)
    /// to relative 1e-10. For T > 1 the same quasi-Monte Carlo points serve every scale, so the function is smooth and
    /// the root exact for them; its quasi-Monte Carlo error is that of meanChi. Throws `SurrogateIntegralError` for
    /// straight_through, `GradientSolveError` when no scale in the range crosses.
    public static func criticalScale(_ network: Network, kind: Surrogate.Kind, amplitude: Double? = nil,
                                     resetGradient: ResetGradient,
                                     settings: TemporalKernelSettings = TemporalKernelSettings()) throws -> Double
    {
        guard kind != .straightThrough else { throw SurrogateIntegralError.noScale(kind) }
        let firstStep = try VarianceRecursion.firstStep(network)
        let temporal = network.steps > 1 ? try TemporalKernel.propagate(network, settings: settings) : nil
        func excess(_ scale: Double) throws -> Double {
            let p = try propagate(network, firstStep: firstStep, temporal: temporal,
                                  surrogate: Surrogate(kind, scale: scale, amplitude: amplitude),
                                  resetGradient: resetGradient, settings: settings)
            return log(p.meanChi)
        }
        let (low, high) = (log(solvedScaleRange.lowerBound), log(solvedScaleRange.upperBound))
        let grid = (0...48).map { i in i == 48 ? solvedScaleRange.upperBound : exp(low + (high - low) * Double(i) / 48) }
        var previous = try excess(grid[0])
        for i in 1..<grid.count {
            let current = try excess(grid[i])
            if (previous > 0) != (current > 0) {
                var failure: Error?
                let root = try GSL.findRoot(lower: grid[i - 1], upper: grid[i], relativeTolerance: 1e-10) { scale in
                    do { return try excess(scale) } catch {
                        failure = failure ?? error
                        return .nan
                    }
                }
                if let failure { throw failure }
                return root
            }
            previous = current
        }
        throw GradientSolveError(kind: kind)
    }
}
