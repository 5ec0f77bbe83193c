import SNNModel
import Testing
@testable import SNNTheory

/// The multi-step theory's guards: the accepted quasi-Monte Carlo sizes and the work estimate behind the refusal of
/// runs that would take many minutes; the validity search's and phase grid's ranges.
@Suite struct WorkLimitTests {
    @Test func workIsPointsTimesReplicatesTimesStepsSquaredPerLayerEvaluation() {
        #expect(TemporalKernelSettings.work(steps: 10, points: 4096, replicates: 8, layerEvaluations: 7)
            == 4096 * 8 * 100 * 7)
        // Quadrature covers T <= 2: no points, no work.
        #expect(TemporalKernelSettings.work(steps: 2, points: 4096, replicates: 8, layerEvaluations: 1000) == 0)
    }

    @Test func workAtTheLimitPassesAndAboveItIsRefusedWithBothCounts() throws {
        // 2^18 points x 8 replicates x 4^2: the largest whole number of evaluations within the limit.
        let perEvaluation = Double(1 << 18) * 8 * 16
        let atLimit = Int(TemporalKernelSettings.workLimit / perEvaluation)
        try TemporalKernelSettings.checkWork(steps: 4, points: 1 << 18, replicates: 8, layerEvaluations: atLimit)
        #expect(throws: ModelError.invalid(
            parameter: "steps", value: "600",
            allowed: "at most 3.0e+11 quasi-Monte Carlo products (points x replicates x steps^2 x layer evaluations); "
                + "this run needs 1.2e+12 (100 layer evaluations): lower --steps, --depth, --qmc-points or "
                + "--qmc-replicates")) {
            // 4096 x 8 x 600^2 x 100 = 1.179648e12.
            try TemporalKernelSettings.checkWork(steps: 600, points: 4096, replicates: 8, layerEvaluations: 100)
        }
    }

    @Test func quasiMonteCarloSizesHaveTheirRanges() throws {
        try TemporalKernelSettings.checkQuasiMonteCarlo(points: 64, replicates: 2)
        try TemporalKernelSettings.checkQuasiMonteCarlo(points: 1 << 20, replicates: 256)
        #expect(throws: ModelError.invalid(parameter: "qmc-points", value: "63",
                                           allowed: "an integer from 64 to 1048576")) {
            try TemporalKernelSettings.checkQuasiMonteCarlo(points: 63, replicates: 8)
        }
        #expect(throws: ModelError.invalid(parameter: "qmc-replicates", value: "257",
                                           allowed: "an integer from 2 to 256")) {
            try TemporalKernelSettings.checkQuasiMonteCarlo(points: 4096, replicates: 257)
        }
    }

    @Test func validitySettingsHaveTheirRanges() throws {
        try ValidityMap.checkSettings(depth: 1, tolerance: 0.05, silentTolerance: 0.01, maximumWidth: 16)
        #expect(throws: ModelError.invalid(parameter: "max-width", value: "65537",
                                           allowed: "an integer from 16 to 65536")) {
            try ValidityMap.checkSettings(depth: 10, tolerance: 0.05, silentTolerance: 0.01, maximumWidth: 65537)
        }
        #expect(throws: ModelError.invalid(parameter: "silent-tolerance", value: "1.0",
                                           allowed: "a number in (0, 1)")) {
            try ValidityMap.checkSettings(depth: 10, tolerance: 0.05, silentTolerance: 1, maximumWidth: 100)
        }
    }

    @Test func aPhaseGridRefusesTargetVariancesWhosePaperScalesUnderflow() throws {
        let input = InputEncoding.bernoulli(rate: 0.2)
        try PhaseDiagram.checkGrid(axis: .targetVariance, thetas: [1], scales: [1], width: 100, input: input)
        // theta / sigma_t = 100 is past the ~38.5 where Q underflows: the paper's scale is not finite.
        #expect(throws: ModelError.self) {
            try PhaseDiagram.checkGrid(axis: .targetVariance, thetas: [100], scales: [1], width: 100, input: input)
        }
        #expect(throws: ModelError.invalid(parameter: "weight-scales", value: "10000000.0",
                                           allowed: "scales in [1e-6, 1e6]")) {
            try PhaseDiagram.checkGrid(axis: .weightScale, thetas: [1], scales: [1e7], width: 100, input: input)
        }
    }
}
