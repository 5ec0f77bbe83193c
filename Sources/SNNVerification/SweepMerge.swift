import Foundation
import SNNFormats

/// The cell files of a sweep's shards joined into the sweep: every record from the same sweep (the same header,
/// lists included), no cell twice, and (unless allowed) none missing. The files are read with `CellFileContents`, as a
/// resumed sweep reads them.
public struct SweepMerge: Sendable {
    /// Why files do not merge. The description is the sentence after "merge: ".
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case file(CellFileError)
        /// A record whose header differs from the first record's (`first`: its file and line).
        case otherSweep(file: String, line: Int, key: String, theirs: String, ours: String, firstFile: String,
                        firstLine: Int)
        case notInSweep(file: String, line: Int)
        case twice(ComparisonCell, firstFile: String, firstLine: Int, file: String, line: Int)
        case noLists(file: String, line: Int)
        /// A list the first record's header gives that this version refuses, and why.
        case refusedSweep(file: String, line: Int, reason: String)
        case noCells(files: [String])
        /// `missing` cells of `total`, the first of them in sweep order.
        case missing(Int, of: Int, first: ComparisonCell)
        case noTolerance(file: String, line: Int)
        case unopenable(file: String, reason: String)
        /// A file a running compare still holds locked.
        case locked(file: String)
        case unreadable(file: String)

        public var description: String {
            switch self {
            case let .file(error): error.description
            case let .otherSweep(file, line, key, theirs, ours, firstFile, firstLine):
                "'\(file)' line \(line) has \(key) \(theirs), '\(firstFile)' line \(firstLine) has \(key) \(ours); only "
                    + "shards of one sweep merge"
            case let .notInSweep(file, line):
                "'\(file)' line \(line) holds a cell that is not in the sweep its settings describe"
            case let .twice(cell, firstFile, firstLine, file, line):
                "cell (\(cell)) is in '\(firstFile)' line \(firstLine) and '\(file)' line \(line); merge each shard once"
            case let .noLists(file, line):
                "'\(file)' line \(line) does not list the sweep's widths, thetas, betas and inits"
            case let .refusedSweep(file, line, reason):
                "'\(file)' line \(line) describes a sweep this version refuses: \(reason)"
            case let .noCells(files):
                "no cells in \(files.map { "'\($0)'" }.joined(separator: ", "))"
            case let .missing(count, total, first):
                "\(count) of \(total) cells are missing (first: \(first))"
            case let .noTolerance(file, line):
                "'\(file)' line \(line) has no tolerance in its settings"
            case let .unopenable(file, reason): "cannot open '\(file)': \(reason)"
            case let .locked(file): "'\(file)' is still being written by a running snn-theory compare"
            case let .unreadable(file): "cannot read '\(file)'"
            }
        }
    }

    /// The joined sweep.
    public struct Result: Sendable {
        /// The first record's header.
        public let model: JSON
        public let tolerance: Double
        /// The cells found, in sweep order.
        public let cells: [CellComparison]
        /// Lines cut short in the files, then the missing cells when allowed, one sentence each ("warning: ...").
        public let warnings: [String]
    }

    private var header: (model: JSON, file: String, line: Int)?
    private var sweep: [ComparisonCell] = []
    private var found: [Int: (cell: CellComparison, file: String, line: Int)] = [:]
    private var files: [String] = []
    private var warnings: [String] = []

    public init() {}

    /// The contents of the cell file at `path`, refused while a running compare holds its lock.
    public static func read(_ path: String) throws(Failure) -> Data {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unopenable(file: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) != 0, errno == EWOULDBLOCK { throw .locked(file: path) }
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(file: path) }
        return data
    }

    /// Adds the records of one file, `data` read from `file`; a last line cut short is ignored with a warning.
    public mutating func add(_ data: Data, file: String) throws(Failure) {
        files.append(file)
        let contents: CellFileContents
        do { contents = try CellFileContents(data, file: file) } catch { throw .file(error) }
        if contents.truncatedLength > 0 {
            warnings.append("warning: ignored a last line cut short (\(contents.truncatedLength) bytes) in '\(file)'")
        }
        for entry in contents.entries {
            if let first = header {
                if let d = SweepHeader.difference(entry.model, first.model) {
                    throw .otherSweep(file: file, line: entry.line, key: d.key, theirs: d.theirs, ours: d.ours,
                                      firstFile: first.file, firstLine: first.line)
                }
            } else {
                header = (entry.model, file, entry.line)
                let cells: [ComparisonCell]?
                do { cells = try SweepHeader.cells(of: entry.model) } catch {
                    throw .refusedSweep(file: file, line: entry.line, reason: "\(error)")
                }
                guard let cells else { throw .noLists(file: file, line: entry.line) }
                sweep = cells
            }
            guard let position = sweep.firstIndex(of: entry.cell.cell) else {
                throw .notInSweep(file: file, line: entry.line)
            }
            if let other = found[position] {
                throw .twice(entry.cell.cell, firstFile: other.file, firstLine: other.line, file: file,
                             line: entry.line)
            }
            found[position] = (entry.cell, file, entry.line)
        }
    }

    /// The sweep the files hold. Refuses missing cells unless `allowingMissing` (then a warning).
    public func result(allowingMissing: Bool) throws(Failure) -> Result {
        guard let header else { throw .noCells(files: files) }
        var warnings = warnings
        let missing = sweep.indices.filter { found[$0] == nil }
        if let first = missing.first {
            let failure = Failure.missing(missing.count, of: sweep.count, first: sweep[first])
            guard allowingMissing else { throw failure }
            warnings.append("warning: \(failure)")
        }
        guard case let .number(tolerance)? = header.model["tolerance"] else {
            throw .noTolerance(file: header.file, line: header.line)
        }
        return Result(model: header.model, tolerance: tolerance, cells: found.keys.sorted().map { found[$0]!.cell },
                      warnings: warnings)
    }
}
