import ArgumentParser
import Foundation
import SNNFormats
import SNNModel
import SNNReports
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

    func run() throws {
        let merged: SweepMerge.Result
        do throws(SweepMerge.Failure) {
            var merge = SweepMerge()
            for path in files { try merge.add(SweepMerge.read(path), file: path) }
            merged = try merge.result(allowingMissing: allowMissing)
        } catch {
            let hint = if case .missing = error { "; add the missing shard's file, or --allow-missing" } else { "" }
            throw CommandFailure(message: "merge: \(error)" + hint)
        }
        if let plot { try Figures.write(Figures.compare(merged.cells), to: plot) }
        // Only now, so that a refusal stays one line.
        for warning in merged.warnings { FileHandle.standardError.write(Data("snn-theory: \(warning)\n".utf8)) }
        print(CompareReport(model: merged.model, cells: merged.cells, tolerance: merged.tolerance,
                            version: SNNTheoryCommand.version).render(format))
    }
}
