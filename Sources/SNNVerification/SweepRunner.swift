import Foundation
import SNNFormats

/// Runs the cells of a plan's shard that are not yet done, one at a time, and keeps each finished cell, as its record
/// reads back, in a JSON Lines file (optional) and in memory. The file and the list change together under one lock:
/// an interrupt (`stop`) sees them agree, and never a line half written.
///
/// A resumed sweep (`init(plan:header:resuming:)`) takes the cells its file already holds and runs the others; since
/// each cell's seed comes from the cell alone (`SweepPlan.cellSeed`) and every result is the cell as its record reads
/// back, the finished sweep is the same, byte for byte, as one uninterrupted run.
public final class SweepRunner: @unchecked Sendable {
    public let plan: SweepPlan
    /// The settings every record carries (`SweepHeader.make`).
    public let header: JSON
    /// The shard's positions in the sweep, in sweep order.
    public let positions: [Int]
    /// Those not finished when the run began.
    public let todo: [Int]
    /// What reading a resumed file set aside, one sentence each ("warning: ...").
    public let warnings: [String]
    private let file: JSONLinesFile?
    private let lock = NSLock()
    private var cells: [Int: CellComparison]

    private init(plan: SweepPlan, header: JSON, file: JSONLinesFile?, finished: [Int: CellComparison],
                 warnings: [String])
    {
        self.plan = plan
        self.header = header
        self.file = file
        self.warnings = warnings
        positions = plan.positions
        todo = positions.filter { finished[$0] == nil }
        cells = finished
    }

    /// A new sweep, its cells appended to `output`, a new or empty file (`CellFileError.notEmpty` otherwise), or
    /// kept in memory only. Throws `JSONLinesFile.Failure` when the file cannot be opened or is locked.
    public convenience init(plan: SweepPlan, header: JSON, output: String?) throws {
        let file = try output.map { path in
            let file = try JSONLinesFile(path: path)
            guard file.isEmpty else { throw CellFileError.notEmpty(file: path) }
            return file
        }
        self.init(plan: plan, header: header, file: file, finished: [:], warnings: [])
    }

    /// Continues the sweep recorded at `path` (created if missing). Its cells of this plan's shard are taken as they
    /// are; every record must carry this header but for the swept lists (`SweepHeader.axes`), so a sweep may grow.
    /// Refuses a damaged line, another sweep's settings and a cell twice (`CellFileError`), each before the file
    /// changes; only then is a last line cut short dropped. Cells of other lists or shards stay in the file, left
    /// out of the result, with a warning.
    public convenience init(plan: SweepPlan, header: JSON, resuming path: String) throws {
        let file = try JSONLinesFile(path: path)
        let contents = try CellFileContents(try file.contents(), file: path)
        var found: [Int: CellComparison] = [:]
        var lineOf: [Int: Int] = [:]
        var outside = 0
        for entry in contents.entries {
            if let d = SweepHeader.difference(entry.model, header, ignoring: SweepHeader.axes) {
                throw CellFileError.otherSettings(file: path, line: entry.line, key: d.key, theirs: d.theirs,
                                                  ours: d.ours)
            }
            guard let position = plan.cells.firstIndex(of: entry.cell.cell), plan.shard.contains(position) else {
                outside += 1
                continue
            }
            if let first = lineOf[position] {
                throw CellFileError.repeated(entry.cell.cell, file: path, lines: [first, entry.line])
            }
            lineOf[position] = entry.line
            found[position] = entry.cell
        }
        var warnings: [String] = []
        if contents.truncatedLength > 0 {
            try file.truncate(to: contents.wholeLength)
            warnings.append("warning: dropped a last line cut short (\(contents.truncatedLength) bytes) from "
                + "'\(path)'; that cell runs again")
        }
        if outside > 0 {
            warnings.append("warning: \(outside) cell(s) in '\(path)' are not part of this sweep"
                + (plan.shard == .whole ? "" : " or shard") + "; kept in the file, left out of the output")
        }
        self.init(plan: plan, header: header, file: file, finished: found, warnings: warnings)
    }

    /// Runs the cell at `position` with its own seed, records it, and returns it as its record reads back. Throws
    /// what the cell's theory or simulation throws, `CellRecord.Malformed` if its record would not read back (a
    /// defect, not an input), and `JSONLinesFile.Failure` if the file cannot take the line.
    public func run(_ position: Int) throws -> CellComparison {
        let cell = plan.cells[position]
        let computed = try Comparison.compare(cell, scales: plan.scales[position],
                                              settings: plan.settings.with(seed: SweepPlan.cellSeed(plan.settings.seed, cell)))
        let result = try CellRecord.normalized(computed)
        lock.lock()
        defer { lock.unlock() }
        try file?.append(CellRecord.line(model: header, cell: result))
        cells[position] = result
        return result
    }

    /// The finished cells in sweep order.
    public func finished() -> [CellComparison] {
        lock.lock()
        defer { lock.unlock() }
        return cells.keys.sorted().map { cells[$0]! }
    }

    /// Runs `body` with the finished cells and never gives the lock back: for a signal handler that exits while a
    /// cell may still be running.
    public func stop(_ body: ([CellComparison]) -> Never) -> Never {
        lock.lock()
        body(cells.keys.sorted().map { cells[$0]! })
    }
}
