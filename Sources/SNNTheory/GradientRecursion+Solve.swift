import Foundation
import SNNModel

/// No surrogate scale in `GradientRecursion.solvedScaleRange` holds Var[delta_1] = Var[delta_L] (e.g. when the forward
/// activity has collapsed, so no surrogate reaches the threshold, or in a single layer, which has nothing to hold).
public struct GradientSolveError: Error, CustomStringConvertible, Equatable {
    public let kind: Surrogate.Kind

    public var description: String {
        "surrogate: no \(kind.rawValue) scale in [\(GradientRecursion.solvedScaleRange.lowerBound), "
            + "\(GradientRecursion.solvedScaleRange.upperBound)] gives Var[delta_1] = Var[delta_L] at these weights"
    }
}

/// The surrogate scale that holds the gradient (THEORY.md section 10, "Solving for the surrogate").
extension GradientRecursion {
    /// The scales searched by `criticalScale`.
    public static let solvedScaleRange: ClosedRange<Double> = 1e-3...1e3

    /// The scale of a `kind` surrogate (amplitude as given, else the framework's) at which the pooled gradient variance
    /// reaches layer 1 unchanged: Var[delta_1] = Var[delta_L] (`GradientLayer.pooledMembraneVariance` of layer 1 equal
    /// to 1). At T = 1 under a uniform paper initialization this is section 7's chi_back = 1; over several steps the
    /// per-layer gain changes with the distance from the readout (E_L's all-ones structure is coherent over the steps,
    /// the deeper E_l less so), so neither the first step's chi nor a mean gain holds the ratio: the multi-step
    /// recursion's own ratio is solved. The first sign change of ln(Var[delta_1] / Var[delta_L]) on 49 log-spaced
    /// scales over `solvedScaleRange` (8 per decade), refined by Brent's method (GSL) to relative 1e-10. For T > 1 the same quasi-Monte Carlo points serve every scale, so the function is smooth and
    /// the root exact for them; its quasi-Monte Carlo error is that of meanChi. Throws `SurrogateIntegralError` for
    /// straight_through, `GradientSolveError` when no scale in the range crosses.
    public static func criticalScale(_ network: Network, kind: Surrogate.Kind, amplitude: Double? = nil,
                                     resetGradient: ResetGradient,
                                     settings: TemporalKernelSettings = TemporalKernelSettings()) throws -> Double
    {
        guard kind != .straightThrough else { throw SurrogateIntegralError.noScale(kind) }
        guard network.architecture.depth > 1 else { throw GradientSolveError(kind: kind) }
        let firstStep = try VarianceRecursion.firstStep(network)
        let temporal = network.steps > 1 ? try TemporalKernel.propagate(network, settings: settings) : nil
        func excess(_ scale: Double) throws -> Double {
            let p = try propagate(network, firstStep: firstStep, temporal: temporal,
                                  surrogate: Surrogate(kind, scale: scale, amplitude: amplitude),
                                  resetGradient: resetGradient, settings: settings)
            return p.layers[0].logPooledMembraneVariance
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
