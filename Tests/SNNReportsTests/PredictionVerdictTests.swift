import Foundation
import SNNModel
import SNNReports
import SNNTheory
import SNNVerification
import Testing

/// `predict`'s verdict rule (SNNVerification) and its wording: activity vanishes, is held or changes; the fixed
/// point the network starts from is stable or not; solved scales are for infinitely wide layers.
@Suite struct PredictionVerdictTests {
    func prediction(_ scheme: InitScheme, theta: Double, depth: Int, width: Int = 1000, steps: Int = 1,
                    input: InputEncoding = .bernoulli(rate: 0.2), name: String? = nil) throws -> SchemePrediction
    {
        let network = try Network(architecture: Architecture(inputSize: width, width: width, depth: depth),
                                  neuron: NeuronModel(threshold: theta), steps: steps, input: input,
                                  initialization: .scheme(scheme, targetVariance: 1)).resolved()
        return SchemePrediction(scheme: name ?? scheme.description, layers: try VarianceRecursion.firstStep(network),
                                temporal: steps > 1 ? try TemporalKernel.propagate(network) : nil, finiteWidth: nil)
    }

    func verdict(_ p: SchemePrediction) throws -> PredictionVerdict {
        try #require(PredictionVerdict(scheme: p.scheme, layers: p.layers, temporal: p.temporal,
                                       finiteWidth: p.finiteWidth))
    }

    /// Kaiming at theta 1 fed Bernoulli(Q(1)): Var[u] is 0.3173, 0.07586, 2.826e-4 at layers 1-3 (mpmath,
    /// Tests/SNNTheoryTests/Reference/recursion.csv), so the rates Q(1 / sigma) are 0.038, 1.4e-4 and about 1e-770:
    /// the rate first falls below 1e-6 at layer 3, where 1000 neurons expect far fewer than 0.001 spikes.
    @Test func kaimingVanishesFromTheFirstLayerBelowOneSpikeInAMillion() throws {
        let reference = [0.317310507862914, 0.0758577967672215, 2.82566400144887e-4]
        let rates = reference.map { Normal.tail(1 / $0.squareRoot()) }
        let expected = try #require(rates.firstIndex { $0 < PredictionVerdict.vanishingRate }) + 1
        #expect(expected == 3)
        let p = try prediction(.kaiming, theta: 1, depth: 6, input: .bernoulli(rate: Normal.tail(1)))
        guard case let .vanishes(from, silent) = try verdict(p).activity else {
            Issue.record("activity survives: \(p.verdict)")
            return
        }
        #expect(from.layer == expected && silent?.layer == expected)
        #expect(p.verdict.hasPrefix("activity vanishes: rate below 1e-6 from layer 3"), "\(p.verdict)")
        #expect(p.verdict.contains("layer 3 on is silent"), "\(p.verdict)")
    }

    /// The paper's scales hold Var[u] = 1, so x = theta / sigma_t = theta at every layer and chi = x phi(x) / (2 Q(x)):
    /// 0.7626 at theta 1 (stable, deviations shrink by e over 1 / |ln chi| layers), 1.454 at theta 1.5 (unstable).
    @Test func paperHoldsTheVarianceAtAStableFixedPointBelowTheCriticalThreshold() throws {
        let p = try prediction(.paper, theta: 1, depth: 50)
        let v = try verdict(p)
        guard case .held = v.activity, case let .stable(chi, scale)? = v.stability else {
            Issue.record("\(p.verdict)")
            return
        }
        let expected = Normal.fixedPointSlope(thresholdOverSigma: 1)
        #expect(abs(chi - expected) <= 1e-9 * expected)
        #expect(abs(scale - 1 / abs(log(expected))) <= 1e-6)
        #expect(p.verdict.hasPrefix("held: Var[u] 1 and rate 0.1587 at layer 50"), "\(p.verdict)")
        #expect(p.verdict.contains("stable: deviations shrink 0.763x per layer"), "\(p.verdict)")
    }

    @Test func paperIsUnstableAboveTheCriticalThreshold() throws {
        let p = try prediction(.paper, theta: 1.5, depth: 20)
        guard case let .unstable(chi, _)? = try verdict(p).stability else {
            Issue.record("\(p.verdict)")
            return
        }
        let expected = Normal.fixedPointSlope(thresholdOverSigma: 1.5)
        #expect(expected > 1 && abs(chi - expected) <= 1e-9 * expected)
        #expect(p.verdict.contains("unstable fixed point: deviations grow 1.45x per layer"), "\(p.verdict)")
    }

    @Test func scalesSolvedForARateHoldItInInfinitelyWideLayersOnly() throws {
        let solved = try prediction(.paper, theta: 1, depth: 3, name: "target-rate:0.1")
        #expect(try verdict(solved).solvedForInfiniteWidth)
        #expect(solved.verdict.hasSuffix("`simulate --target-rate R --solve-on sampler` solves for the expected rate "
            + "at your width"))
        let paper = try prediction(.paper, theta: 1, depth: 3)
        #expect(try !verdict(paper).solvedForInfiniteWidth && !paper.verdict.contains("--solve-on"))
    }

    @Test func severalStepsAddTheLastLayersFinalStep() throws {
        let p = try prediction(.paper, theta: 1, depth: 4, steps: 2)
        let course = try #require(try verdict(p).timeCourse)
        let last = try #require(p.temporal?.layers.last?.steps.last)
        #expect(course.steps == 2 && course.finalStep == last && last.t == 2)
        #expect(p.verdict.contains("over 2 steps the rate at layer 4 goes from 0.1587 (t=1) to"), "\(p.verdict)")
    }

    @Test func aNetworkWithoutLayersHasNoVerdict() {
        #expect(PredictionVerdict(scheme: "paper", layers: [], temporal: nil, finiteWidth: nil) == nil)
        #expect(SchemePrediction(scheme: "paper", layers: [], temporal: nil, finiteWidth: nil).verdict.isEmpty)
    }
}
