import Foundation
import SNNTheory

/// What `predict` concludes from one initialization's prediction: whether activity survives to the last layer, what
/// the exact finite-width chain and the multi-step theory add, and whether the network starts at a stable fixed
/// point. It keeps the layers and numbers the conclusion rests on; the report words them.
public struct PredictionVerdict: Sendable {
    /// Whether activity reaches the last layer, in the mean field of the first step.
    public enum Activity: Sendable {
        /// The rate falls below `vanishingRate` from layer `from` on; `silentFrom` is the first layer expected to be
        /// silent (`FirstStepLayer.isSilent`), if any.
        case vanishes(from: FirstStepLayer, silentFrom: FirstStepLayer?)
        /// The last layer's Var[u] is within `heldTolerance` (relative) of the first's.
        case held
        /// Var[u] ends elsewhere than it starts, without the rate falling below `vanishingRate`.
        case changes
    }

    /// The fixed point the network starts from, judged by layer 2's slope chi (layer 1 has none).
    public enum Stability: Sendable {
        /// chi > 1: deviations grow chi-fold per layer. `leavesAt` is the first layer, past layer 2, whose Var[u] is
        /// more than `departure` (relative) off layer 1's: where rounding alone has moved the recursion off it.
        case unstable(slope: Double, leavesAt: Int?)
        /// 0 < chi < 1 while activity survives: deviations shrink chi-fold per layer, by e over `depthScale` layers.
        case stable(slope: Double, depthScale: Double)
    }

    /// The multi-step theory at the last layer.
    public struct TimeCourse: Sendable {
        /// How many steps were predicted.
        public let steps: Int
        /// The last of them.
        public let finalStep: TemporalStep
    }

    public let first: FirstStepLayer
    public let last: FirstStepLayer
    public let activity: Activity
    /// The exact finite-width chain's last layer, when the chain was computed.
    public let finiteWidth: FiniteWidthLayer?
    public let timeCourse: TimeCourse?
    /// Nil when chi is not positive, or when activity vanishes at a stable fixed point (the depth scale would
    /// describe a state the network has left).
    public let stability: Stability?
    /// Scales solved for a target rate (an initialization named `target-rate:R`) hold it in infinitely wide layers
    /// only: at finite width the rate drifts with depth.
    public let solvedForInfiniteWidth: Bool

    /// A rate below this is activity that has vanished: about one spike per million neurons and steps.
    public static let vanishingRate = 1e-6
    /// The relative change of Var[u] from layer 1 to layer L within which the variance counts as held.
    public static let heldTolerance = 1e-3
    /// The relative distance from layer 1's Var[u] at which the recursion has left an unstable fixed point.
    public static let departure = 0.01

    /// The verdict on the prediction of the initialization named `scheme`; nil for a network without layers.
    public init?(scheme: String, layers: [FirstStepLayer], temporal: TemporalPrediction?,
                 finiteWidth: [FiniteWidthLayer]?)
    {
        guard let first = layers.first, let last = layers.last else { return nil }
        self.first = first
        self.last = last
        let fading = layers.first(where: { $0.logRate < log(Self.vanishingRate) })
        if let fading {
            activity = .vanishes(from: fading, silentFrom: layers.first(where: \.isSilent))
        } else {
            activity = abs(last.membraneVariance / first.membraneVariance - 1) < Self.heldTolerance ? .held : .changes
        }
        self.finiteWidth = finiteWidth?.last
        if let steps = temporal?.layers.last?.steps, let finalStep = steps.last {
            timeCourse = TimeCourse(steps: steps.count, finalStep: finalStep)
        } else {
            timeCourse = nil
        }
        let second = layers.dropFirst().first
        if let chi = second?.fixedPointSlope, chi > 1 {
            let start = first.membraneVariance
            let departure = layers.first(where: { abs($0.membraneVariance - start) > Self.departure * start })
            stability = .unstable(slope: chi, leavesAt: departure.flatMap { $0.layer > 2 ? $0.layer : nil })
        } else if let chi = second?.fixedPointSlope, chi > 0, fading == nil, let scale = second?.depthScale {
            stability = .stable(slope: chi, depthScale: scale)
        } else {
            stability = nil
        }
        solvedForInfiniteWidth = scheme.hasPrefix(CellInitialization.targetRatePrefix)
    }
}
