import Testing
@testable import SNNVerification

/// The verdict rules (README: "The rules") on hand-made layers: to which depth the mean field holds, why it stops,
/// and where the time-averaged rate drifts away for good.
@Suite struct VerdictTests {
    static let cell = ComparisonCell(width: 100, theta: 1, beta: 0.9, scheme: "paper")
    static let tolerance = 0.05

    static func judge(_ layers: [LayerComparison]) -> (Int, String) {
        Comparison.judge(layers, cell: cell, tolerance: tolerance)
    }

    @Test func layersWithinToleranceAndThreeStandardErrorsHoldToTheLastLayer() {
        // Predicted 0.2, standard error 0.01: within 0.05 x 0.2 + 3 x 0.01 = 0.04 of it.
        let layers = [0.2, 0.24 - 1e-9, 0.16 + 1e-9].enumerated().map { i, rate in
            SweepFixtures.layer(i + 1, predicted: 0.2, empirical: rate, error: 0.01)
        }
        let (depth, verdict) = Self.judge(layers)
        #expect(depth == 3)
        #expect(verdict == "holds within 5% (+3 standard errors) to depth 3")
    }

    @Test func aLayerOutsideToleranceAndThreeStandardErrorsBreaksAgreement() {
        // 0.2405 is 0.0405 above 0.2: beyond 0.04.
        let layers = [SweepFixtures.layer(1), SweepFixtures.layer(2), SweepFixtures.layer(3, empirical: 0.2405),
                      SweepFixtures.layer(4)]
        let (depth, verdict) = Self.judge(layers)
        #expect(depth == 2)
        #expect(verdict == "holds to depth 2, breaks at layer 3: rate 0.2405 measured against 0.2 predicted")
        // Without a standard error only the tolerance is left: 0.0105 above 0.2 is beyond 0.01.
        let (unsure, _) = Self.judge([SweepFixtures.layer(1, empirical: 0.2105, error: nil)])
        #expect(unsure == 0)
    }

    @Test func moreThanOnePercentSilentNetworksBreakAgreementEvenAtTheRightRate() {
        let (held, _) = Self.judge([SweepFixtures.layer(1), SweepFixtures.layer(2, silent: 0.01)])
        #expect(held == 2)
        let (depth, verdict) = Self.judge([SweepFixtures.layer(1), SweepFixtures.layer(2, silent: 0.02,
                                                                                       finiteWidthSilent: 0.03)])
        #expect(depth == 1)
        #expect(verdict == "holds to depth 1, breaks at layer 2: networks go silent (2% of them by layer 2; the exact "
            + "chain predicts 3%): too narrow at width 100 for theta 1")
    }

    /// The reasons in order: an unstable fixed point, activity fading in the mean field, silence, a finite-width
    /// bias the exact chain explains, and otherwise the two rates.
    @Test func theReasonIsTheFirstThatApplies() {
        let unstable = Self.judge([SweepFixtures.layer(1), SweepFixtures.layer(2, empirical: 0.3, slope: 1.5)]).1
        #expect(unstable.hasPrefix("holds to depth 1, breaks at layer 2: unstable fixed point (chi = 1.5 > 1)"))
        let fading = Self.judge([SweepFixtures.layer(1), SweepFixtures.layer(2, predicted: 0.01, empirical: 0.1)]).1
        #expect(fading.contains("activity fades in the mean field itself (rate 0.01 at layer 2 against 0.2 at layer 1)"))
        let bias = Self.judge([SweepFixtures.layer(1, empirical: 0.3, finiteWidth: 0.29)]).1
        #expect(bias == "breaks at layer 1: finite-width bias: the exact chain at width 100 predicts rate 0.29, the "
            + "mean field 0.2; the simulation measured 0.3")
    }

    /// The drift starts at the first layer from which no layer's time-averaged rate agrees (tolerance x predicted +
    /// 3 combined standard errors) down to the last; none when the last layer agrees, or at T = 1.
    @Test func theDriftStartsWhereTheTimeAveragedRateLeavesForGood() {
        // Predicted 0.1 ± 0.001, simulated ± 0.002: combined sqrt(5) x 0.001, so within 0.005 + 0.0067.
        func layers(_ rates: [Double]) -> [LayerComparison] {
            rates.enumerated().map { i, r in SweepFixtures.layer(i + 1, timeAveraged: SweepFixtures.averaged(empirical: r)) }
        }
        #expect(Comparison.driftStart(layers([0.1, 0.08, 0.1, 0.08, 0.07]), tolerance: Self.tolerance) == 4)
        #expect(Comparison.driftStart(layers([0.08, 0.08, 0.08]), tolerance: Self.tolerance) == 1)
        #expect(Comparison.driftStart(layers([0.1, 0.08, 0.1]), tolerance: Self.tolerance) == nil)
        #expect(Comparison.driftStart([SweepFixtures.layer(1), SweepFixtures.layer(2)], tolerance: Self.tolerance) == nil)
        let combined = (0.001 * 0.001 + 0.002 * 0.002).squareRoot()
        let edge = 0.1 - (Self.tolerance * 0.1 + 3 * combined)
        #expect(Comparison.driftStart(layers([0.1, edge + 1e-9]), tolerance: Self.tolerance) == nil)
        #expect(Comparison.driftStart(layers([0.1, edge - 1e-9]), tolerance: Self.tolerance) == 2)
    }

    /// The drift summary calls a drift the multi-step dynamics' own when the t = 1 comparison holds there.
    @Test func aDriftWhereTheFirstStepHoldsIsTheMultiStepDynamics() {
        let layers = [0.1, 0.1, 0.08].enumerated().map { i, r in
            SweepFixtures.layer(i + 1, timeAveraged: SweepFixtures.averaged(empirical: r))
        }
        let summary = Comparison.driftSummary(layers, steps: 8, holdsToDepth: 3, driftsFromLayer: 3,
                                              tolerance: Self.tolerance)
        #expect(summary.hasPrefix(". Time-averaged rate over T = 8 steps at layer 3: simulated 0.08 ± 0.002"))
        #expect(summary.hasSuffix("from layer 3 on, below it: the t = 1 comparison holds to depth 3, so this is a "
            + "finite-width drift of the multi-step dynamics"))
        let early = Comparison.driftSummary(layers, steps: 8, holdsToDepth: 1, driftsFromLayer: 3,
                                            tolerance: Self.tolerance)
        #expect(early.hasSuffix("the t = 1 comparison breaks first (at layer 2), so the drift follows from the first step"))
    }
}
