import ArgumentParser
import Foundation
import SNNModel
import SNNFormats
import SNNVerification

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the cell files of a sharded compare sweep into the output of the whole sweep.",
        discussion: """
        Reads the JSON Lines files that `compare --shard I/N --output FILE` (or --resume FILE) wrote, checks that \
        every cell comes from the same sweep (the same settings and lists), that no cell appears twice and none is \
        missing, and prints what one unsharded `compare` run prints, in any --format, byte for byte. A last line cut \
        short by a kill is dropped with a warning; a file still locked by a running compare is refused.

        Examples:
          snn-theory merge shard-*.jsonl
          snn-theory merge shard-1.jsonl shard-2.jsonl --format json > sweep.json
          snn-theory merge shard-*.jsonl --allow-missing --plot partial.svg
        """
    )

    @Argument(help: ArgumentHelp("The shards' files (from compare --output or --resume).", valueName: "file.jsonl"))
    var files: [String] = []

    @Option(help: "Output: table (summary for people), csv (one row per cell and layer) or json.")
    var format: OutputFormat = .table

    @Flag(name: .customLong("allow-missing"), help: "Print the cells there are even if some of the sweep's are missing.")
    var allowMissing = false

    @Option(help: ArgumentHelp("Also write an SVG figure: heat map of the depth to which the mean field holds, and per-cell rate profiles.",
                               valueName: "file.svg"))
    var plot: String?

    func validate() throws {
        if let plot { try Figures.checkDestination(plot) }
        guard !files.isEmpty else {
            throw ModelError.invalid(parameter: "files", value: "", allowed: "one or more cell files from compare --output")
        }
    }

    static func read(_ path: String) throws -> Data {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw CommandFailure(message: "merge: cannot open '\(path)': \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) != 0, errno == EWOULDBLOCK {
            throw CommandFailure(message: "merge: '\(path)' is still being written by a running snn-theory compare")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure(message: "merge: cannot read '\(path)'")
        }
        return data
    }

    func run() throws {
        var header: (model: JSON, file: String, line: Int)?
        var sweep: [ComparisonCell] = []
        var found: [Int: (cell: CellComparison, file: String, line: Int)] = [:]
        var warnings: [String] = []
        for path in files {
            let contents = try CellFileContents.parse(Self.read(path), name: path, parameter: "merge")
            if contents.truncatedLength > 0 {
                warnings.append("warning: ignored a last line cut short (\(contents.truncatedLength) bytes) in '\(path)'")
            }
            for entry in contents.entries {
                if let first = header {
                    if let d = SweepHeader.difference(entry.model, first.model) {
                        throw CommandFailure(message: "merge: '\(path)' line \(entry.line) has \(d.key) \(d.theirs), "
                            + "'\(first.file)' line \(first.line) has \(d.key) \(d.ours); only shards of one sweep merge")
                    }
                } else {
                    header = (entry.model, path, entry.line)
                    sweep = try Self.sweep(of: entry.model, file: path, line: entry.line)
                }
                guard let position = sweep.firstIndex(of: entry.cell.cell) else {
                    throw CommandFailure(message: "merge: '\(path)' line \(entry.line) holds a cell that is not in "
                        + "the sweep its settings describe")
                }
                if let other = found[position] {
                    let c = entry.cell.cell
                    throw CommandFailure(message: "merge: cell (width \(c.width), theta \(Format.number(c.theta)), "
                        + "beta \(Format.number(c.beta)), \(c.scheme)) is in '\(other.file)' line \(other.line) and "
                        + "'\(path)' line \(entry.line); merge each shard once")
                }
                found[position] = (entry.cell, path, entry.line)
            }
        }
        guard let header else {
            throw CommandFailure(message: "merge: no cells in \(files.map { "'\($0)'" }.joined(separator: ", "))")
        }
        let missing = sweep.indices.filter { found[$0] == nil }
        if let first = missing.first {
            let c = sweep[first]
            let text = "\(missing.count) of \(sweep.count) cells are missing (first: width \(c.width), theta "
                + "\(Format.number(c.theta)), beta \(Format.number(c.beta)), \(c.scheme))"
            guard allowMissing else {
                throw CommandFailure(message: "merge: \(text); add the missing shard's file, or --allow-missing")
            }
            warnings.append("warning: \(text)")
        }
        let cells = found.keys.sorted().map { found[$0]!.cell }
        guard case let .number(tolerance)? = header.model["tolerance"] else {
            throw CommandFailure(message: "merge: '\(header.file)' line \(header.line) has no tolerance in its settings")
        }
        if let plot { try Figures.write(Figures.compare(cells), to: plot) }
        // Only now, so that a refusal stays one line.
        for warning in warnings { FileHandle.standardError.write(Data("snn-theory: \(warning)\n".utf8)) }
        print(CompareReport(model: header.model, cells: cells, tolerance: tolerance).render(format))
    }

    /// The cells of the sweep a record's settings describe, in sweep order.
    static func sweep(of model: JSON, file: String, line: Int) throws -> [ComparisonCell] {
        guard case let .string(widths)? = model["widths"], case let .string(thetas)? = model["thetas"],
              case let .string(betas)? = model["betas"], case let .string(inits)? = model["inits"]
        else {
            throw CommandFailure(message: "merge: '\(file)' line \(line) does not list the sweep's widths, thetas, "
                + "betas and inits")
        }
        do {
            return try CompareCommand.sweepCells(widths: widths, thetas: thetas, betas: betas, inits: inits)
        } catch let error as ModelError {
            throw CommandFailure(message: "merge: '\(file)' line \(line) describes a sweep this version refuses: \(error)")
        }
    }
}
