import Dispatch
import Foundation
import SNNModel
import SNNSupport

/// Whether the mean-field prediction holds at one width and threshold, judged on the exact finite-width chain at
/// the last layer (first time step).
public struct ValidityCell: Sendable, Equatable {
    public let width: Int
    public let theta: Double
    /// P(the last layer is silent) from the exact chain.
    public let silentProbability: Double
    /// The chain's mean rate over networks at the last layer.
    public let meanRate: Double
    /// The mean-field rate there.
    public let meanFieldRate: Double
    public let holds: Bool

    /// (chain mean rate - mean field) / mean field.
    public var relativeRateDeviation: Double { meanFieldRate > 0 ? (meanRate - meanFieldRate) / meanFieldRate : 0 }
}

/// The smallest width at which the mean field holds for one threshold.
public struct ValidityThreshold: Sendable, Equatable {
    public let theta: Double
    /// chi at the (paper's) operating point of the last layer: above 1 the fixed point is unstable at any width.
    public let fixedPointSlope: Double?
    /// A width that qualifies, within 1% of the smallest (see `ValidityMap`); nil when none up to `maximumWidth` does.
    public let smallestWidth: Int?
    /// The chain's verdict at `smallestWidth`, or at `maximumWidth` when none qualifies.
    public let cell: ValidityCell
}

/// The validity map of issue "where the mean-field picture breaks": for a depth, thresholds and a tolerance, the
/// smallest width at which the mean-field prediction holds (silent probability under `silentTolerance` and the mean
/// rate within `tolerance` of the mean field at the last layer), computed from the exact finite-width chain.
///
/// The search doubles the width from `minimumWidth` until the criterion holds, then bisects between the last failing
/// and the first passing width until they are at most max(1, width / 100) apart: the reported width passes, and the
/// boundary lies less than 1% below it (each bisection step is one chain evaluation). It assumes the criterion, once met, stays met at larger widths (the chain's bias and
/// silence shrink with width; a non-monotone case would make the reported width an upper bound of the boundary's
/// last crossing, not a wrong "holds").
public struct ValidityMap: Sendable {
    public let depth: Int
    public let leak: Double
    public let reset: Reset
    public let input: InputEncoding
    public let scheme: InitScheme
    public let targetVariance: Double
    public let tolerance: Double
    public let silentTolerance: Double

    public init(depth: Int, input: InputEncoding, scheme: InitScheme, targetVariance: Double = 1,
                tolerance: Double = 0.05, silentTolerance: Double = 0.01, leak: Double = 0.9, reset: Reset = .subtract)
    {
        self.depth = depth
        self.input = input
        self.scheme = scheme
        self.targetVariance = targetVariance
        self.tolerance = tolerance
        self.silentTolerance = silentTolerance
        self.leak = leak
        self.reset = reset
    }

    /// Refuses a depth outside 1...10000, tolerances outside (0, 1) or a largest searched width outside 16...65536.
    public static func checkSettings(depth: Int, tolerance: Double, silentTolerance: Double, maximumWidth: Int) throws {
        guard depth >= 1, depth <= 10_000 else {
            throw ModelError.invalid(parameter: "depth", value: "\(depth)", allowed: "an integer from 1 to 10000")
        }
        guard tolerance > 0, tolerance < 1 else {
            throw ModelError.invalid(parameter: "tolerance", value: "\(tolerance)", allowed: "a number in (0, 1)")
        }
        guard silentTolerance > 0, silentTolerance < 1 else {
            throw ModelError.invalid(parameter: "silent-tolerance", value: "\(silentTolerance)",
                                     allowed: "a number in (0, 1)")
        }
        guard maximumWidth >= 16, maximumWidth <= 65536 else {
            throw ModelError.invalid(parameter: "max-width", value: "\(maximumWidth)",
                                     allowed: "an integer from 16 to 65536")
        }
    }

    func neuron(_ theta: Double) throws -> NeuronModel {
        try NeuronModel(threshold: theta, leak: leak, reset: reset)
    }

    public func evaluate(width: Int, theta: Double) throws -> ValidityCell {
        let architecture = try Architecture(inputSize: width, width: width, depth: depth)
        let chain = try FiniteWidthChain(scheme: scheme, architecture: architecture, neuron: neuron(theta),
                                         input: input, targetVariance: targetVariance, negligibleProbability: 1e-30)
        guard let last = try chain.layers().last else { throw ModelError.invalid(parameter: "depth", value: "0", allowed: ">= 1") }
        let holds = last.silentProbability < silentTolerance
            && abs(last.meanRate - last.meanFieldRate) <= tolerance * last.meanFieldRate
        return ValidityCell(width: width, theta: theta, silentProbability: last.silentProbability,
                            meanRate: last.meanRate, meanFieldRate: last.meanFieldRate, holds: holds)
    }

    /// `smallestWidth` for each of `thresholds` and `evaluate` for each threshold x width of `widths` (threshold
    /// major), concurrently, since cells are independent; `progress` gets (done, total). The failure of the first
    /// failing threshold, else of the first failing cell, is rethrown.
    public func grid(thresholds: [Double], widths: [Int], maximumWidth: Int,
                     progress: (@Sendable (Int, Int) -> Void)? = nil) throws
        -> (smallest: [ValidityThreshold], cells: [ValidityCell])
    {
        let searches = SlotArray<Result<ValidityThreshold, any Error>>(count: thresholds.count)
        let cells = SlotArray<Result<ValidityCell, any Error>>(count: thresholds.count * widths.count)
        let total = thresholds.count * (widths.count + 1)
        let done = SlotArray<Bool>(count: total)
        DispatchQueue.concurrentPerform(iterations: total) { i in
            if i < thresholds.count {
                searches.set(i, Result { try smallestWidth(theta: thresholds[i], maximumWidth: maximumWidth) })
            } else {
                let j = i - thresholds.count
                cells.set(j, Result { try evaluate(width: widths[j % widths.count], theta: thresholds[j / widths.count]) })
            }
            progress?(done.set(i, true), total)
        }
        return (try searches.successes(), try cells.successes())
    }

    public func smallestWidth(theta: Double, minimumWidth: Int = 16, maximumWidth: Int = 16384) throws
        -> ValidityThreshold
    {
        let architecture = try Architecture(inputSize: 1000, width: 1000, depth: depth)
        let meanField = VarianceRecursion.firstStep(
            architecture: architecture, neuron: try neuron(theta), input: input,
            weightVariances: try WeightVariance.checked(scheme, architecture: architecture, neuron: try neuron(theta),
                                                      input: input, targetVariance: targetVariance))
        // The slope at the operating point the network starts from (layer 2; layer 1 has none).
        let slope = meanField.dropFirst().first?.fixedPointSlope
        var failing = 0, width = minimumWidth
        var passing: ValidityCell?
        while width <= maximumWidth {
            let cell = try evaluate(width: width, theta: theta)
            if cell.holds {
                passing = cell
                break
            }
            failing = width
            if width == maximumWidth { break }
            width = min(width * 2, maximumWidth)
        }
        guard var best = passing else {
            return ValidityThreshold(theta: theta, fixedPointSlope: slope, smallestWidth: nil,
                                     cell: try evaluate(width: maximumWidth, theta: theta))
        }
        var lo = failing, hi = best.width
        while hi - lo > max(1, hi / 100) {
            let mid = (lo + hi) / 2
            let cell = try evaluate(width: mid, theta: theta)
            if cell.holds { hi = mid; best = cell } else { lo = mid }
        }
        return ValidityThreshold(theta: theta, fixedPointSlope: slope, smallestWidth: best.width, cell: best)
    }
}
