import Foundation
import SNNFormats
import Testing
@testable import SNNVerification

/// A cell's line: written and read back equal, anything else refused; the header read back as it was written.
@Suite struct CellRecordTests {
    static let header = JSON.object([("tool", .string("snn-theory")), ("networks", .integer(4)),
                                     ("tolerance", .number(0.05))])

    @Test(arguments: [1, 4])
    func aCellWrittenAndReadBackIsTheSameCell(steps: Int) throws {
        let cell = SweepFixtures.cell(ComparisonCell(width: 10, theta: 0.5, beta: 0.9, scheme: "paper"), steps: steps)
        let line = CellRecord.line(model: Self.header, cell: cell)
        let (model, read) = try CellRecord.decode(line)
        #expect(model == Self.header)
        #expect(read == cell)
        #expect(try CellRecord.normalized(cell) == cell)
        // One line, the header first, then the cell's fields in the order written.
        #expect(!line.contains("\n"))
        #expect(line.hasPrefix("{\"model\":{\"tool\":\"snn-theory\",\"networks\":4,\"tolerance\":0.05},\"width\":10,"))
        #expect(line.contains("time_averaged") == (steps > 1))
    }

    /// Edited, cut or foreign lines are refused with the reason; an integer written as 3.0, a field renamed, a digit
    /// changed in a derived field (which the record would write otherwise) all count as edits.
    @Test func aTamperedLineIsRefused() throws {
        let cell = SweepFixtures.cell(ComparisonCell(width: 10, theta: 0.5, beta: 0.9, scheme: "paper"), steps: 3)
        let line = CellRecord.line(model: Self.header, cell: cell)
        let worst = try #require(line.range(of: "\"worst_rate_deviation_stderr\":"))
        let tampered: [(String, String)] = [
            (line.replacingOccurrences(of: "\"width\":10", with: "\"width\":10.0"),
             "its fields differ from the record this version writes for that cell"),
            (line.replacingOccurrences(of: "\"verdict\"", with: "\"verdikt\""), "\"verdict\" is not a string"),
            (line.replacingOccurrences(of: "\"layers\":[", with: "\"layers\":[],\"x\":["),
             "\"layers\" is not a list of layers"),
            (String(line.dropLast(5)), "not JSON"),
            ("{\"width\":10}", "not a cell record (no \"model\" object)"),
            (line.replacingCharacters(in: worst.upperBound..<line.index(after: worst.upperBound), with: "7"),
             "its fields differ from the record this version writes for that cell"),
        ]
        for (text, reason) in tampered {
            #expect(text != line)
            #expect(throws: CellRecord.Malformed.self) { try CellRecord.decode(text) }
            do { _ = try CellRecord.decode(text) } catch { #expect(error.reason == reason, "\(text)") }
        }
    }

    /// A number that is not finite is written null; the cell read back (and the cell the sweep keeps) has NaN or nil
    /// there, and writes the same line again.
    @Test func aComputedCellIsKeptAsItsLineReadsBack() throws {
        let base = SweepFixtures.cell(ComparisonCell(width: 10, theta: 1, beta: 0.9, scheme: "paper"))
        var layers = base.layers
        let first = layers[0]
        layers[0] = LayerComparison(
            layer: 1, predictedVariance: .infinity, predictedRate: first.predictedRate, finiteWidthRate: .nan,
            finiteWidthSilentProbability: first.finiteWidthSilentProbability, empiricalVariance: first.empiricalVariance,
            empiricalVarianceError: first.empiricalVarianceError, empiricalRate: first.empiricalRate,
            empiricalRateError: first.empiricalRateError, empiricalSilentFraction: 0,
            empiricalSilentFractionError: 0.5, fixedPointSlope: nil, timeAveraged: nil)
        let cell = CellComparison(cell: base.cell, layers: layers, holdsToDepth: base.holdsToDepth,
                                  driftsFromLayer: nil, verdict: base.verdict)
        let kept = try CellRecord.normalized(cell)
        #expect(kept.layers[0].predictedVariance.isNaN)
        #expect(kept.layers[0].finiteWidthRate == nil)
        // The record keeps the cell's silent-fraction error, at its last layer only.
        #expect(kept.layers[0].empiricalSilentFractionError == nil)
        #expect(kept.layers.last?.empiricalSilentFractionError == cell.layers.last?.empiricalSilentFractionError)
        let line = CellRecord.line(model: Self.header, cell: cell)
        #expect(line.contains("\"membrane_variance\":null"))
        #expect(CellRecord.line(model: Self.header, cell: kept) == line)
        #expect(CellRecord.line(model: Self.header, cell: try CellRecord.decode(line).cell) == line)
    }

    /// JSONDecoder gives a header back with its keys sorted and the target variance 1.0 as the integer 1; read back,
    /// it is again the header a sweep writes, field for field and in order, with T = 1 and with the multi-step
    /// fields of T > 1.
    @Test func sweepHeaderReadsBackAsASweepWritesIt() throws {
        for (steps, targetVariance, inputSize) in [(1, 1.0, 7), (3, 2.0, nil)] as [(Int, Double, Int?)] {
            let settings = try SweepFixtures.settings(depth: 2, steps: steps, inputSize: inputSize,
                                                      targetVariance: targetVariance)
            let header = SweepHeader.make(settings, widths: "10", thetas: "0.5,1,2", betas: "0.9", inits: "paper",
                                          version: "0.1.0")
            let decoded = try JSONDecoder().decode(JSON.self, from: Data(header.rendered(pretty: false).utf8))
            #expect(decoded != header)
            #expect(SweepHeader.read(decoded) == header, "T = \(steps)")
            #expect((header["qmc_points"] != nil) == (steps > 1))
            #expect(header["input_size"] == (inputSize.map { .integer($0) } ?? .string("width")))
        }
    }

    /// The first differing field in the writer's order; the swept lists may be ignored.
    @Test func headersDifferAtTheirFirstDifferingField() throws {
        let settings = try SweepFixtures.settings()
        let ours = SweepHeader.make(settings, widths: "10", thetas: "1", betas: "0.9", inits: "paper", version: "0.1.0")
        let theirs = SweepHeader.make(try SweepFixtures.settings(networks: 5, seed: 2), widths: "10,20", thetas: "1",
                                      betas: "0.9", inits: "paper", version: "0.1.0")
        #expect(SweepHeader.difference(ours, ours) == nil)
        let d = try #require(SweepHeader.difference(theirs, ours))
        #expect(d.key == "widths" && d.theirs == "\"10,20\"" && d.ours == "\"10\"")
        let e = try #require(SweepHeader.difference(theirs, ours, ignoring: SweepHeader.axes))
        #expect(e.key == "networks" && e.theirs == "5" && e.ours == "4")
        #expect(try SweepHeader.cells(of: theirs)?.map(\.width) == [10, 20])
        #expect(try SweepHeader.cells(of: .object([("widths", .string("10"))])) == nil)
    }
}
