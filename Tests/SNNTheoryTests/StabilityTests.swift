import Foundation
import SNNModel
import Testing
@testable import SNNTheory

/// Depth stability (issue 7): the phase diagram's chi and critical line against independent references (THEORY.md
/// section 3 and the mpmath table Reference/stability.csv), its finite-width probabilities against the exact chain's
/// reference values (section 5), the quasi-stationary shortcut against the full chain, the advice, and the numerical
/// slope of the multi-step kernel map against chi and against quadrature.
@Suite struct StabilityTests {
    /// Q(1): the input rate of the document's chain references.
    static let referenceInput = InputEncoding.bernoulli(rate: 0.158655253931457)

    // MARK: chi and the critical line

    /// THEORY.md section 3 / issue 7: chi = 0.2853, 0.7626, 1.4540, 2.3732 at theta 0.5, 1, 1.5, 2 with target variance 1
    /// (four digits), read from phase-diagram cells; and to 1e-13 against the mpmath table.
    @Test func chiAtUnitTargetVarianceMatchesTheReferences() throws {
        // chi does not depend on depth or width: a small diagram keeps the chain cheap.
        let diagram = try PhaseDiagram(depth: 2, width: 10, input: .bernoulli(rate: 0.2))
        let table = try ReferenceTable(named: "stability.csv")
        for (theta, fourDigits) in [(0.5, 0.2853), (1.0, 0.7626), (1.5, 1.4540), (2.0, 2.3732)] {
            let chi = try diagram.cell(theta: theta, scale: 1).fixedPointSlope
            #expect(abs(chi - fourDigits) < 5e-5, "theta \(theta): chi \(chi)")
            let row = try #require(table.rows.first { Double($0[0]) == theta })
            let reference = try #require(table.value(row, "chi"))
            #expect(relativeError(chi, reference) < 1e-13, "theta \(theta): \(chi) vs mpmath \(reference)")
        }
    }

    /// The critical line chi = 1: theta / sigma_t = 1.19060 (five digits; mpmath 1.190601248342770), i.e. target
    /// variance theta^2 / 1.19060^2; chi is 1 on it and crosses 1 there.
    @Test func criticalLineIsChiEqualsOne() throws {
        let table = try ReferenceTable(named: "stability.csv")
        let row = try #require(table.rows.first { $0[0] == "critical" })
        let reference = try #require(table.value(row, "chi"))
        for theta in [0.5, 1, 2] {
            let v = try DepthStability.criticalTargetVariance(theta: theta)
            let x = theta / v.squareRoot()
            #expect(abs(x - 1.19060) < 5e-6)
            #expect(relativeError(x, reference) < 1e-12)
            #expect(abs(VarianceRecursion.fixedPointSlope(thresholdOverSigma: x) - 1) < 1e-12)
            let diagram = try PhaseDiagram(depth: 2, width: 10, input: .bernoulli(rate: 0.2))
            #expect(try diagram.cell(theta: theta, scale: v * 1.01).isStable)
            #expect(try !diagram.cell(theta: theta, scale: v * 0.99).isStable)
        }
    }

    /// For a fixed weight scale the same line is where the map's two non-zero fixed points merge,
    /// sigma_w = theta / (x_c sqrt Q(x_c)) = 2.457 theta: 1% below it the mean field dies out with depth; 1% above it
    /// it settles on a fixed point whose slope is below 1.
    @Test func weightScaleCriticalLineSeparatesVanishingFromHeld() throws {
        let theta = 1.0
        let critical = try DepthStability.criticalWeightScale(theta: theta)
        #expect(abs(critical - 2.457) < 1e-3)
        let architecture = try Architecture(inputSize: 100, width: 100, depth: 3000)
        let neuron = try NeuronModel(threshold: theta)
        func last(_ s: Double) -> FirstStepLayer {
            VarianceRecursion.firstStep(
                architecture: architecture, neuron: neuron, input: .gaussian(std: 1),
                weightVariances: WeightVariance.forScheme(.sigmaW(s), architecture: architecture, neuron: neuron,
                                                          input: .gaussian(std: 1))).last!
        }
        #expect(last(0.99 * critical).rate == 0)
        let above = last(1.01 * critical)
        #expect(above.rate > 0.1)
        let chi = try #require(above.fixedPointSlope)
        #expect(chi < 1 && chi > 0.8)
    }

    /// The paper's initialization rescales the weights with sigma_t, so the chain, like chi, depends on theta / sigma_t
    /// alone: (theta 1, sigma_t^2 1) and (theta 2, sigma_t^2 4) are the same cell.
    @Test func paperDiagramDependsOnThresholdOverSigmaAlone() throws {
        let diagram = try PhaseDiagram(depth: 40, width: 200, input: .bernoulli(rate: 0.2))
        let a = try diagram.cell(theta: 1, scale: 1), b = try diagram.cell(theta: 2, scale: 4)
        #expect(abs(a.silentProbability - b.silentProbability) < 1e-12)
        #expect(abs(a.saturatedProbability - b.saturatedProbability) < 1e-12)
        #expect(abs(a.fixedPointSlope - b.fixedPointSlope) < 1e-14)
    }

    @Test func phaseFollowsTheTolerance() {
        #expect(StabilityPhase(silentProbability: 0.005, saturatedProbability: 0, tolerance: 0.01) == .held)
        #expect(StabilityPhase(silentProbability: 0.02, saturatedProbability: 0.001, tolerance: 0.01) == .vanishes)
        #expect(StabilityPhase(silentProbability: 0, saturatedProbability: 0.3, tolerance: 0.01) == .saturates)
        #expect(StabilityPhase(silentProbability: 0.547, saturatedProbability: 0.452, tolerance: 0.01) == .bistable)
    }

    // MARK: The exact chain through the phase API

    /// THEORY.md section 5 / issue 7: with the paper's init at target variance 1, depth 100, theta 1.5, 0.547 of
    /// width-1000 networks are silent and 0.452 above twice the mean-field rate; width 3000: 0.527 silent (within
    /// 0.002). The cell is bistable.
    @Test func bistabilityAtTheta1_5MatchesTheChainReferences() throws {
        let narrow = try PhaseDiagram(depth: 100, width: 1000, input: Self.referenceInput).cell(theta: 1.5, scale: 1)
        #expect(abs(narrow.silentProbability - 0.547) <= 0.002, "P(silent) \(narrow.silentProbability)")
        #expect(abs(narrow.saturatedProbability - 0.452) <= 0.002, "P(saturated) \(narrow.saturatedProbability)")
        #expect(narrow.phase == .bistable)
        let wide = try PhaseDiagram(depth: 100, width: 3000, input: Self.referenceInput).cell(theta: 1.5, scale: 1)
        #expect(abs(wide.silentProbability - 0.527) <= 0.002, "P(silent) \(wide.silentProbability)")
    }

    /// The quasi-stationary shortcut of `silentAndAbove` against the chain run through every layer, on cells that are
    /// held, vanishing, bistable, near chi = 1, and a fixed weight scale: the same probabilities to 1e-10.
    @Test func quasiStationaryShortcutMatchesTheFullChain() throws {
        let depth = 80, width = 300
        for (axis, theta, scale) in [(PhaseAxis.targetVariance, 0.5, 1.0), (.targetVariance, 1, 1), (.targetVariance, 1.5, 1),
                                     (.targetVariance, 1, 0.7), (.targetVariance, 2, 9), (.weightScale, 1, 3),
                                     (.weightScale, 1, 2.5)] {
            let diagram = try PhaseDiagram(axis: axis, depth: depth, width: width, input: .bernoulli(rate: 0.2))
            let cell = try diagram.cell(theta: theta, scale: scale)
            let chain = try FiniteWidthChain(architecture: diagram.architecture, neuron: NeuronModel(threshold: theta),
                                             input: .bernoulli(rate: 0.2),
                                             weightVariances: diagram.weightVariances(theta: theta, scale: scale),
                                             negligibleProbability: diagram.negligibleProbability)
            let law = try chain.distribution(atLayer: depth)
            #expect(abs(cell.silentProbability - law.silentProbability) < 1e-10, "\(axis) \(theta) \(scale)")
            #expect(abs(cell.saturatedProbability - law.probability(rateAbove: 2 * cell.meanFieldRate)) < 1e-10,
                    "\(axis) \(theta) \(scale)")
        }
    }

    /// Cells computed concurrently equal cells computed one by one, in grid order.
    @Test func gridIsDeterministicAndInOrder() throws {
        let diagram = try PhaseDiagram(depth: 30, width: 100, input: .bernoulli(rate: 0.2))
        let thetas = [0.5, 1, 1.5], scales = [0.5, 2]
        let grid = try diagram.cells(thetas: thetas, scales: scales)
        for (s, scale) in scales.enumerated() {
            for (t, theta) in thetas.enumerated() {
                #expect(grid[s * thetas.count + t] == (try diagram.cell(theta: theta, scale: scale)))
            }
        }
    }

    // MARK: Advice

    /// Issue 7: at theta 2, depth 100, width 1000 the paper's unit target leaves about 0.53 of the networks silent; the
    /// advice finds a stable target variance whose chain keeps P(silent) under 1% / 10 (a rounded value, 4.4, between
    /// the 1% boundary and 10% above it).
    @Test func adviceAtTheta2KeepsDepth100Alive() throws {
        let advice = try StabilityAdvisor.advise(theta: 2, depth: 100, width: 1000, input: .bernoulli(rate: 0.2))
        #expect(abs(advice.paperDefault.silentProbability - 0.53) < 0.01)
        #expect(!advice.paperDefault.isStable)
        let boundary = try #require(advice.boundary)
        #expect(boundary.silentProbability <= 0.01 && boundary.silentProbability > 0.005)
        #expect(boundary.targetVariance > advice.criticalTargetVariance)
        let recommended = try #require(advice.recommended)
        #expect(recommended.isStable)
        #expect(recommended.silentProbability <= 0.001)
        #expect(recommended.targetVariance >= boundary.targetVariance && recommended.targetVariance < 1.1 * boundary.targetVariance)
        #expect(recommended.targetVariance == 4.4)
        // The weight scale that goes with it: Var[w_l] = sigma_w^2 / n_{l-1}, sigma_w^2 = sigma_t^2 / Q(theta / sigma_t).
        #expect(abs(recommended.weightScale * recommended.weightScale * recommended.meanFieldRate - 4.4) < 1e-12)
    }

    /// At width 10 no target variance keeps a 100-layer network alive in 99% of draws: the advice says so, with the
    /// numbers at the largest target variance searched.
    @Test func adviceSaysWhenNoScaleWorksAtAWidth() throws {
        let advice = try StabilityAdvisor.advise(theta: 1, depth: 100, width: 10, input: .bernoulli(rate: 0.2))
        #expect(advice.recommended == nil && advice.boundary == nil)
        #expect(advice.largestSearched.silentProbability > 0.01)
        #expect(abs(advice.largestSearched.thresholdOverSigma - StabilityAdvisor.smallestThresholdOverSigma) < 1e-12)
    }

    /// A target rate fixes sigma_t = theta / Qinv(rate); rates below Q(1.19060) = 0.1169 sit on an unstable fixed point.
    @Test func targetRatesBelowTheCriticalRateAreUnstable() throws {
        let low = try StabilityAdvisor.advise(theta: 1.5, depth: 50, width: 300, input: .bernoulli(rate: 0.2),
                                              targetRate: 0.1)
        let atLow = try #require(low.atTargetRate)
        #expect(abs(atLow.meanFieldRate - 0.1) < 1e-12)
        #expect(!atLow.isStable && low.targetRateHolds == false)
        let high = try StabilityAdvisor.advise(theta: 1.5, depth: 50, width: 300, input: .bernoulli(rate: 0.2),
                                               targetRate: 0.2)
        #expect(try #require(high.atTargetRate).isStable)
    }

    @Test func roundingUpKeepsTwoSignificantFigures() {
        #expect(StabilityAdvisor.roundedUp(4.11) == 4.2)
        #expect(StabilityAdvisor.roundedUp(4.4) == 4.4)
        #expect(StabilityAdvisor.roundedUp(0.7055) == 0.71)
        #expect(StabilityAdvisor.roundedUp(123.4) == 130)
    }

    // MARK: The multi-step kernel map

    static func paperSlope(theta: Double, depth: Int, steps: Int, method: TemporalKernelMethod,
                           points: Int = 4096) throws -> KernelMapSlope {
        try PhaseDiagram(depth: depth, width: 1000, input: .bernoulli(rate: 0.2))
            .kernelMapSlope(theta: theta, scale: 1, leak: 0.9, reset: .subtract, steps: steps,
                            settings: TemporalKernelSettings(method: method, points: points, replicates: 8, seed: 3))
    }

    /// At T = 1 the kernel map is the paper's variance map: its numerical slope is chi (0.7626 at theta 1), to the
    /// finite difference's O(eps^2), which its own error estimate covers.
    @Test func kernelSlopeAtOneStepIsChi() throws {
        let slope = try Self.paperSlope(theta: 1, depth: 10, steps: 1, method: .quadrature)
        let chi = VarianceRecursion.fixedPointSlope(thresholdOverSigma: 1)
        #expect(abs(slope.value - chi) <= max(slope.error, 1e-6), "\(slope.value) ± \(slope.error) vs \(chi)")
        #expect(slope.error < 1e-3)
    }

    /// T = 2 by quasi-Monte Carlo against the same slope by quadrature (independent integration), within 3 errors;
    /// its most unstable deviation is the first step's, so both read chi.
    @Test func kernelSlopeByQuasiMonteCarloMatchesQuadrature() throws {
        let quadrature = try Self.paperSlope(theta: 1, depth: 10, steps: 2, method: .quadrature)
        let qmc = try Self.paperSlope(theta: 1, depth: 10, steps: 2, method: .quasiMonteCarlo)
        #expect(abs(qmc.value - quadrature.value) <= 3 * (qmc.error + quadrature.error),
                "qmc \(qmc.value) ± \(qmc.error), quadrature \(quadrature.value) ± \(quadrature.error)")
        #expect(qmc.statisticalError > 0 && quadrature.statisticalError == 0)
        // The first step's slope is chi exactly (VarianceRecursion, 1e-13): the estimate is held to its own error.
        let chi = VarianceRecursion.fixedPointSlope(thresholdOverSigma: 1)
        #expect(abs(quadrature.value - chi) <= max(3 * quadrature.error, 1e-4),
                "\(quadrature.value) ± \(quadrature.error) against chi \(chi)")
    }

    /// At theta 2 the first step is unstable (chi 2.373) and so is the kernel map; rounding pulls the recursion off the
    /// fixed point within a few dozen layers, so the slope is measured where it still holds, not at layer 60.
    @Test func kernelSlopeSeesTheUnstableFirstStep() throws {
        let slope = try Self.paperSlope(theta: 2, depth: 60, steps: 2, method: .quadrature)
        #expect(slope.layer < 60)
        #expect(abs(slope.value - 2.3732) <= max(3 * slope.error, 0.01), "\(slope.value) ± \(slope.error)")
    }
}
