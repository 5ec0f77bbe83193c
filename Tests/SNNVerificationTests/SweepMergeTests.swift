import Foundation
import SNNFormats
import Testing
@testable import SNNVerification

/// Shards' files joined into their sweep, read as a resumed sweep reads them.
@Suite struct SweepMergeTests {
    static func file(_ plan: SweepPlan, _ header: JSON, positions: [Int]) -> Data {
        Data(positions.map { CellRecord.line(model: header, cell: SweepFixtures.cell(plan.cells[$0])) + "\n" }
            .joined().utf8)
    }

    @Test func shardsInAnyOrderMergeIntoTheSweepInSweepOrder() throws {
        let plan = try SweepFixtures.plan()
        let header = SweepFixtures.header(plan)
        var merge = SweepMerge()
        try merge.add(Self.file(plan, header, positions: [3, 1]), file: "b")
        try merge.add(Self.file(plan, header, positions: [0, 2]) + Data("{\"model\":".utf8), file: "a")
        let merged = try merge.result(allowingMissing: false)
        #expect(merged.cells == plan.cells.map { SweepFixtures.cell($0) })
        #expect(merged.model == header && merged.tolerance == 0.05)
        #expect(merged.warnings == ["warning: ignored a last line cut short (9 bytes) in 'a'"])
    }

    @Test func missingCellsAreRefusedUnlessAllowed() throws {
        let plan = try SweepFixtures.plan()
        let header = SweepFixtures.header(plan)
        var merge = SweepMerge()
        try merge.add(Self.file(plan, header, positions: [0, 2]), file: "a")
        let missing = SweepMerge.Failure.missing(2, of: 4, first: plan.cells[1])
        #expect(throws: missing) { try merge.result(allowingMissing: false) }
        #expect(missing.description == "2 of 4 cells are missing (first: width 10, theta 1, beta 0.9, paper)")
        let partial = try merge.result(allowingMissing: true)
        #expect(partial.cells.map(\.cell) == [plan.cells[0], plan.cells[2]])
        #expect(partial.warnings == ["warning: \(missing)"])
        #expect(throws: SweepMerge.Failure.noCells(files: ["x", "y"])) {
            var empty = SweepMerge()
            try empty.add(Data(), file: "x")
            try empty.add(Data(), file: "y")
            _ = try empty.result(allowingMissing: true)
        }
    }

    /// Only shards of one sweep merge: the whole header must agree, the lists included, and each cell comes once.
    @Test func filesOfAnotherSweepOrACellTwiceAreRefused() throws {
        let plan = try SweepFixtures.plan()
        let header = SweepFixtures.header(plan)
        let other = try SweepFixtures.plan(settings: SweepFixtures.settings(seed: 2))
        var merge = SweepMerge()
        try merge.add(Self.file(plan, header, positions: [0]), file: "a")
        #expect(throws: SweepMerge.Failure.otherSweep(file: "b", line: 1, key: "seed", theirs: "2", ours: "1",
                                                      firstFile: "a", firstLine: 1)) {
            var copy = merge
            try copy.add(Self.file(other, SweepFixtures.header(other), positions: [1]), file: "b")
        }
        #expect(throws: SweepMerge.Failure.otherSweep(file: "b", line: 1, key: "widths", theirs: "\"10,20,30\"",
                                                      ours: "\"10,20\"", firstFile: "a", firstLine: 1)) {
            var copy = merge
            try copy.add(Self.file(plan, SweepFixtures.header(plan, widths: "10,20,30"), positions: [1]), file: "b")
        }
        #expect(throws: SweepMerge.Failure.twice(plan.cells[0], firstFile: "a", firstLine: 1, file: "b", line: 2)) {
            var copy = merge
            try copy.add(Self.file(plan, header, positions: [1, 0]), file: "b")
        }
        let outside = SweepFixtures.cell(ComparisonCell(width: 30, theta: 1, beta: 0.9, scheme: "paper"))
        #expect(throws: SweepMerge.Failure.notInSweep(file: "b", line: 1)) {
            var copy = merge
            try copy.add(Data((CellRecord.line(model: header, cell: outside) + "\n").utf8), file: "b")
        }
        #expect(throws: SweepMerge.Failure.file(.notARecord(file: "b", line: 1, reason: "not JSON"))) {
            var copy = merge
            try copy.add(Data("nonsense\n".utf8), file: "b")
        }
    }
}

/// Reading a shard's file: refused, in words for after "merge: ", when it cannot be opened.
@Suite struct SweepMergeReadTests {
    @Test func aMissingFileCannotBeOpened() {
        let path = "/nonexistent/shard.jsonl"
        #expect(throws: SweepMerge.Failure.unopenable(file: path, reason: "No such file or directory")) {
            try SweepMerge.read(path)
        }
        #expect(SweepMerge.Failure.unopenable(file: path, reason: "No such file or directory").description
            == "cannot open '/nonexistent/shard.jsonl': No such file or directory")
    }

    @Test func aReadableFileIsReadWhole() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("merge-read-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data("one\ntwo\n".utf8).write(to: url)
        #expect(try SweepMerge.read(url.path) == Data("one\ntwo\n".utf8))
    }
}
