import Testing
@testable import SNNTheory

/// The closed forms against GSL adaptive quadrature of the defining integrals, over a grid that reaches the far tail.
@Suite struct QuadratureCrossCheckTests {
    static let means = [-30.0, -3, -0.2, 0, 0.3, 1, 2.5]
    static let sigmas = [0.03, 0.3, 1, 2, 7]
    static let thresholds = [0.1, 0.5, 1, 3]

    static var grid: [QuantizedGaussian] {
        var cases: [QuantizedGaussian] = []
        for mu in means { for s in sigmas { for t in thresholds {
            let q = QuantizedGaussian(mean: mu, standardDeviation: s, threshold: t)
            if q.standardizedThreshold <= 37 && q.standardizedThreshold >= -37 { cases.append(q) }
        } } }
        return cases
    }

    /// The quadrature's reported bound, plus a few units in the last place for the closed form's own rounding.
    func agree(_ closed: Double, _ quad: IntegralEstimate) -> Bool {
        abs(closed - quad.value) <= quad.absoluteError + 8 * Double.ulpOfOne * abs(closed)
    }

    @Test func spikeProbabilityMatchesQuadratureWithinItsErrorBound() throws {
        for q in Self.grid {
            let quad = try q.spikeProbabilityByQuadrature()
            #expect(agree(q.spikeProbability, quad), "\(q): \(q.spikeProbability) vs \(quad)")
        }
    }

    @Test func meanTimesSpikeMatchesQuadratureWithinItsErrorBound() throws {
        for q in Self.grid {
            let quad = try q.meanTimesSpikeByQuadrature()
            #expect(agree(q.meanTimesSpike, quad), "\(q): \(q.meanTimesSpike) vs \(quad)")
        }
    }

    @Test func secondMomentTimesSpikeMatchesQuadratureWithinItsErrorBound() throws {
        for q in Self.grid {
            let quad = try q.secondMomentTimesSpikeByQuadrature()
            #expect(agree(q.secondMomentTimesSpike, quad), "\(q): \(q.secondMomentTimesSpike) vs \(quad)")
        }
    }

    @Test func meanGivenSpikeMatchesQuadratureWithinItsErrorBound() throws {
        for q in Self.grid where q.spikeProbability > 1e-290 {
            let quad = try q.meanGivenSpikeByQuadrature()
            #expect(agree(q.meanGivenSpike, quad), "\(q): \(q.meanGivenSpike) vs \(quad)")
        }
    }

    @Test func bivariateOrthantMatchesPlackettIdentityWithinErrorBounds() throws {
        let thresholds = [-2.0, 0, 0.5, 1, 2, 4]
        for a in thresholds { for b in thresholds { for rho in [-0.999, -0.9, -0.5, -0.1, 0.1, 0.5, 0.9, 0.999] {
            let primary = try BivariateNormal.upperOrthant(a, b, correlation: rho)
            let check = try BivariateNormal.upperOrthantByCorrelation(a, b, correlation: rho)
            // Plackett's form adds an integral to Q(a)Q(b): its rounding is on that scale.
            let base = StandardNormal.tail(a) * StandardNormal.tail(b)
            let tolerance = primary.absoluteError + check.absoluteError + 8 * Double.ulpOfOne * max(base, primary.value)
            #expect(abs(primary.value - check.value) <= tolerance, "a \(a) b \(b) rho \(rho): \(primary) vs \(check)")
        } } }
    }

    /// Genz's fixed-rule orthant (used by the million for neuron pairs, THEORY.md 9.4) against the adaptive
    /// quadrature, over thresholds -3..4 and correlations on both sides of its 0.3, 0.75 and 0.925 switches: within
    /// 1e-14 absolute (its stated accuracy is about 1e-15).
    @Test func fastOrthantAgreesWithTheQuadratureOnEveryBranch() throws {
        let thresholds = [-3.0, -1, -0.2, 0, 0.3, 1, 1.7, 2.5, 4]
        var largest = 0.0
        for a in thresholds { for b in thresholds {
            for rho in [-0.9999, -0.99, -0.93, -0.92, -0.8, -0.5, -0.2, 0.05, 0.29, 0.31, 0.6, 0.74, 0.76, 0.9, 0.924,
                        0.926, 0.97, 0.999, 0.99999] {
                let reference = try BivariateNormal.upperOrthant(a, b, correlation: rho)
                let fast = BivariateNormal.upperOrthantFast(a, b, correlation: rho)
                largest = max(largest, abs(fast - reference.value))
                #expect(abs(fast - reference.value) <= 1e-14 + reference.absoluteError,
                        "a \(a) b \(b) rho \(rho): \(fast) vs \(reference)")
            }
        } }
        #expect(largest > 0)
    }

    @Test func degenerateCorrelationsAndZeroVarianceAreExact() throws {
        #expect(try BivariateNormal.upperOrthant(1, 2, correlation: 1).value == StandardNormal.tail(2))
        #expect(try BivariateNormal.upperOrthant(1, 2, correlation: 0).value
            == StandardNormal.tail(1) * StandardNormal.tail(2))
        #expect(try BivariateNormal.upperOrthant(1, 1, correlation: -1).value == 0)
        let deterministicAbove = QuantizedGaussian(mean: 2, standardDeviation: 0, threshold: 1)
        #expect(deterministicAbove.spikeProbability == 1)
        #expect(deterministicAbove.meanGivenSpike == 2)
        let deterministicAt = QuantizedGaussian(mean: 1, standardDeviation: 0, threshold: 1)
        #expect(deterministicAt.spikeProbability == 0)
        #expect(deterministicAt.secondMomentTimesSpike == 0)
    }

    @Test func farTailNeverGivesNaN() {
        for z in stride(from: -60.0, through: 1e6, by: 997.3) + [37, 38.5, 40, 1e300, .infinity, -.infinity] {
            let q = QuantizedGaussian(mean: 0, standardDeviation: 1, threshold: z.isFinite ? z : 1)
            for (i, v) in [q.spikeProbability, q.logSpikeProbability, q.meanGivenSpike, q.meanTimesSpike,
                      q.secondMomentTimesSpike, q.spikeVariance, StandardNormal.hazard(z), StandardNormal.logTail(z)].enumerated() {
                #expect(!v.isNaN, "z = \(z), quantity \(i)")
            }
        }
    }
}
