import Foundation
import SNNFormats
import Testing
@testable import SNNVerification

/// Running a sweep's cells into a file, and resuming from one.
@Suite struct SweepRunnerTests {
    /// Two whole lines and a third cut short by a kill: the two are taken as they are, the third is dropped from the
    /// file (with a warning naming its bytes) and its cell runs again with the fourth.
    @Test func resumingFromAFileWithACutOffLastLine() throws {
        let plan = try SweepFixtures.plan()
        let header = SweepFixtures.header(plan)
        let recorded = plan.cells.map { SweepFixtures.cell($0) }
        let lines = recorded.prefix(3).map { CellRecord.line(model: header, cell: $0) }
        let path = SweepFixtures.temporaryFile("cut")
        defer { SweepFixtures.remove(path) }
        try SweepFixtures.write(lines, to: path, cutLast: 25)
        let sweep = try SweepRunner(plan: plan, header: header, resuming: path)
        #expect(sweep.positions == [0, 1, 2, 3])
        #expect(sweep.todo == [2, 3])
        #expect(sweep.finished() == Array(recorded.prefix(2)))
        let cut = lines[2].utf8.count + 1 - 25
        #expect(sweep.warnings == ["warning: dropped a last line cut short (\(cut) bytes) from '\(path)'; that cell runs again"])
        #expect(try SweepFixtures.contents(path) == lines.prefix(2).map { $0 + "\n" }.joined())
    }

    /// The cells a run finishes are those of one uninterrupted run: run two cells, resume, run the other two.
    @Test func aResumedSweepFinishesWithTheCellsOfOneRun() throws {
        let plan = try SweepFixtures.plan()
        let header = SweepFixtures.header(plan)
        let whole = try SweepRunner(plan: plan, header: header, output: nil)
        for position in whole.todo { _ = try whole.run(position) }
        let path = SweepFixtures.temporaryFile("resume")
        defer { SweepFixtures.remove(path) }
        do {
            let first = try SweepRunner(plan: plan, header: header, output: path)
            for position in [3, 1] { _ = try first.run(position) }
        }
        let second = try SweepRunner(plan: plan, header: header, resuming: path)
        #expect(second.todo == [0, 2] && second.warnings.isEmpty)
        for position in second.todo { _ = try second.run(position) }
        #expect(second.finished() == whole.finished())
        let cells: [ComparisonCell] = second.finished().map(\.cell)
        #expect(cells == plan.cells)
        // The file holds one line per cell, each the record of the cell the sweep returned.
        let lines = try SweepFixtures.contents(path).split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(Set(lines) == Set(whole.finished().map { CellRecord.line(model: header, cell: $0) }))
    }

    /// A shard resumes its own cells only; the others stay in the file, and are counted in a warning. The lists may
    /// grow (the new cells run), but no other setting may differ.
    @Test func aResumedShardKeepsOtherCellsAndRefusesOtherSettings() throws {
        let whole = try SweepFixtures.plan()
        let header = SweepFixtures.header(whole)
        let path = SweepFixtures.temporaryFile("shard")
        defer { SweepFixtures.remove(path) }
        try SweepFixtures.write(whole.cells.map { CellRecord.line(model: header, cell: SweepFixtures.cell($0)) }, to: path)
        let grown = try SweepFixtures.plan(widths: [10, 20, 30], shard: Shard(parsing: "2/2"))
        do {
            let sweep = try SweepRunner(plan: grown, header: SweepFixtures.header(grown, widths: "10,20,30"),
                                        resuming: path)
            // Positions 1, 3, 5 of (10, 0.5) (10, 1) (20, 0.5) (20, 1) (30, 0.5) (30, 1): two in the file, one new.
            #expect(sweep.positions == [1, 3, 5] && sweep.todo == [5])
            #expect(sweep.warnings == ["warning: 2 cell(s) in '\(path)' are not part of this sweep or shard; kept in "
                + "the file, left out of the output"])
        }
        let other = try SweepFixtures.plan(settings: SweepFixtures.settings(networks: 5))
        #expect(throws: CellFileError.otherSettings(file: path, line: 1, key: "networks", theirs: "4", ours: "5")) {
            try SweepRunner(plan: other, header: SweepFixtures.header(other), resuming: path)
        }
    }

    @Test func aFileWithACellTwiceOrADamagedLineIsRefusedBeforeItChanges() throws {
        let plan = try SweepFixtures.plan()
        let header = SweepFixtures.header(plan)
        let line = CellRecord.line(model: header, cell: SweepFixtures.cell(plan.cells[0]))
        let path = SweepFixtures.temporaryFile("twice")
        defer { SweepFixtures.remove(path) }
        try SweepFixtures.write([line, line, "{\"partial"], to: path)
        #expect(throws: CellFileError.notARecord(file: path, line: 3, reason: "not JSON")) {
            try SweepRunner(plan: plan, header: header, resuming: path)
        }
        try SweepFixtures.write([line, line, line], to: path, cutLast: 10)
        #expect(throws: CellFileError.repeated(plan.cells[0], file: path, lines: [1, 2])) {
            try SweepRunner(plan: plan, header: header, resuming: path)
        }
        // The cut third line is still there: nothing is dropped from a file that is refused.
        #expect(try SweepFixtures.contents(path).utf8.count == 3 * (line.utf8.count + 1) - 10)
        #expect(throws: CellFileError.notEmpty(file: path)) { try SweepRunner(plan: plan, header: header, output: path) }
        #expect(CellFileError.repeated(plan.cells[0], file: "f", lines: [1, 2]).description
            == "cell (width 10, theta 0.5, beta 0.9, paper) is in 'f' twice, lines 1 and 2; remove one")
    }

    /// A second writer of the same file is refused while the first holds it.
    @Test func aFileIsLockedAgainstASecondSweep() throws {
        let plan = try SweepFixtures.plan()
        let header = SweepFixtures.header(plan)
        let path = SweepFixtures.temporaryFile("lock")
        defer { SweepFixtures.remove(path) }
        let first = try SweepRunner(plan: plan, header: header, output: path)
        #expect(throws: JSONLinesFile.Failure.self) { try SweepRunner(plan: plan, header: header, resuming: path) }
        #expect(first.finished().isEmpty)
    }
}
