import Foundation
import SNNFormats
import SNNModel
@testable import SNNReports
import SNNTheory
import SNNTestSupport
import Testing

/// The reports of `validity`, `phase` and `advise`: one record and one CSV row per cell of their grids, the model
/// record on a comment line, and their figures.
@Suite struct GridReportTests {
    @Test func validityHasARowPerThresholdSearchAndPerGridCell() throws {
        let thresholds = [0.5, 1.0], widths = [20, 40, 80]
        let map = ValidityMap(depth: 5, input: .bernoulli(rate: 0.2), scheme: .paper)
        let report = ValidityReport(
            map: map, maxWidth: 64, thresholds: thresholds, widths: widths,
            smallest: try thresholds.map { try map.smallestWidth(theta: $0, maximumWidth: 64) },
            cells: try thresholds.flatMap { t in try widths.map { try map.evaluate(width: $0, theta: t) } })
        let (header, rows) = Read.csv(report.csv())
        #expect(header.first == "kind" && rows.allSatisfy { $0.count == header.count })
        #expect(rows.map { $0[0] } == ["smallest", "smallest"] + Array(repeating: "grid", count: 6))
        #expect(report.csv().split(separator: "\n").contains { $0.hasPrefix("# model: {") })
        let json = report.json()
        #expect(Read.keys(json) == ["model", "thresholds", "grid"])
        #expect(json["model"]?["thetas"] == .array([.number(0.5), .number(1)]))
        #expect(Read.array(json["grid"]).count == thresholds.count * widths.count)
        #expect(Read.firstColumn(ofTableIn: report.table()) == ["0.5", "1"])
        let svg = report.figure().render()
        #expect(svg.contains("P(silent at layer 5), exact finite-width chain, paper init"))
    }

    @Test func phaseHasARecordAndARowPerCell() throws {
        let diagram = try PhaseDiagram(depth: 5, width: 30, input: .bernoulli(rate: 0.2))
        let thetas = [0.5, 1.0], scales = [0.5, 1.0, 2.0]
        let report = try PhaseReport(diagram: diagram, thetas: thetas, scales: scales,
                                     cells: try diagram.cells(thetas: thetas, scales: scales))
        let (header, rows) = Read.csv(report.csv())
        #expect(header.prefix(2) == ["theta", "target_variance"] && rows.count == thetas.count * scales.count)
        let json = report.json()
        #expect(Read.array(json["cells"]).count == 6 && Read.array(json["critical_line"]).count == 2)
        // The critical line chi = 1 is theta / sigma_t = x*, so target variance (theta / x*)^2.
        let x = report.criticalThresholdOverSigma
        #expect(abs(Normal.fixedPointSlope(thresholdOverSigma: x) - 1) < 1e-9)
        let critical = try thetas.map { JSON.number(try diagram.criticalScale(theta: $0)) }
        #expect(Read.array(json["critical_line"]).map { $0["target_variance"] } == critical)
        #expect(try abs(diagram.criticalScale(theta: 1) - 1 / (x * x)) < 1e-9)
        let svg = report.figure().render()
        #expect(svg.components(separatedBy: "data-series=\"chi = 1 (critical)\"").count > 2)
    }

    /// A log axis where the values grow by a constant factor, a linear one where they grow by a constant step.
    @Test func phaseAxesAreGeometricWhenTheRatiosAreEvenerThanTheSteps() {
        #expect(PhaseReport.isGeometric([0.25, 0.5, 1, 2, 4]))
        #expect(!PhaseReport.isGeometric([0.5, 1, 1.5, 2]))
        #expect(!PhaseReport.isGeometric([1, 2]))
    }

    @Test func adviceJSONHasEachCheckedPointAndTheVerdict() throws {
        let advice = try StabilityAdvisor.advise(theta: 2, depth: 20, width: 300, input: .bernoulli(rate: 0.2),
                                                 targetRate: nil, tolerance: 0.01, margin: 10,
                                                 negligibleProbability: PhaseDiagram.defaultNegligibleProbability)
        let report = AdviceReport(advice: advice, slopes: [], steps: 1, beta: 0.9, reset: .subtract)
        let json = report.json()
        #expect(Read.keys(json) == ["model", "critical_target_variance", "paper_default", "at_target_rate",
                                    "target_rate_holds", "boundary", "recommended", "largest_searched", "verdict"])
        #expect(json["at_target_rate"] == .null && json["verdict"] == .string(report.verdict()))
        #expect(AdviceReport.rows(advice).first?.0 == "paper's default")
        #expect(report.table().contains("advice: " + report.verdict()))
    }
}
