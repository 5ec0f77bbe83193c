import ArgumentParser
import NIR
import SNNFormats
import SNNModel
import SNNReports
import SNNTheory

struct NIRCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nir", abstract: "Read a NIR graph (HDF5) exported from snnTorch, Norse, Sinabs, SpikingJelly, Rockpool or Lava.",
        subcommands: [Inspect.self])

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The graph in edge order: shapes, weight statistics, and each neuron as each framework discretizes it.",
            discussion: """
            Every neuron node (I, IF, LI, LIF, CubaLI, CubaLIF) is shown as the exact sampling of NIR's continuous \
            equations at --dt and as the snnTorch, Norse, Sinabs and Rockpool importers build it (THEORY.md section \
            8): leak beta, synaptic alpha, input gain, threshold, reset and spike test. Cells more than 1% from the \
            exact reading are marked, and a footer says in words what each framework would change.

            Examples:
              snn-theory nir inspect cnn.nir
              snn-theory nir inspect lif.nir --dt 1e-4 --format json
            """)

        @Argument(help: ArgumentHelp("The NIR file.", valueName: "file.nir"))
        var file: String

        @Option(help: "Time step in seconds for the exact reading and for Norse (snnTorch's importer fixes 1e-4).")
        var dt: Double = 1e-3

        @Option(help: "The convention the predicted input rates assume: exact, snntorch, norse, sinabs or rockpool.")
        var convention: NIRConvention = .exact

        @Option(help: ArgumentHelp("The input the predicted rates assume: bernoulli:P or gaussian:S.", valueName: "kind:value"))
        var input: InputEncoding = .bernoulli(rate: 0.2)

        @Option(help: "Output: table, csv or json.")
        var format: OutputFormat = .table

        func validate() throws {
            guard dt.isFinite, dt > 0 else {
                throw ValidationError("--dt must be a positive number of seconds, got \(dt)")
            }
        }

        func run() throws {
            let graph = try NIRGraph.read(path: file)
            let structure = try graph.structure(file: file)
            // A graph the model cannot run (a Delay node) is still inspected, without the predicted columns. The
            // input rates take the elements as independent (THEORY.md section 9 without 9.4's pairs): a quick look.
            let prediction = (try? graph.networkGraph(file: file, convention: convention, step: dt, structure: structure))
                .map { GraphPrediction($0, input: input, pairCovariances: false) }
            let report = try NIRInspectReport(file: file, graph: graph, step: dt, prediction: prediction,
                                              structure: structure)
            print(format.text(json: report.json(), csv: report.csv(), table: report.table()), terminator: "")
        }
    }
}
