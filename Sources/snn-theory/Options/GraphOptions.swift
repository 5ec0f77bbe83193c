import ArgumentParser
import NIR
import SNNModel
import SNNTheory

/// `--nir FILE`: the user's own network instead of the one the flags describe, its neurons discretized by
/// `--convention` at `--dt` (THEORY.md section 8).
struct GraphOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A NIR graph (HDF5) to answer for, with its own weights; the architecture and neuron flags are then not used.",
                               valueName: "file.nir"))
    var nir: String?

    @Option(help: "How --nir's continuous-time neurons become steps: exact, snntorch, norse, sinabs or rockpool.")
    var convention: NIRConvention = .exact

    @Option(help: "Time step in seconds for --convention exact and norse (snnTorch's importer fixes 1e-4).")
    var dt: Double = 1e-3

    @Option(help: "Monte Carlo input sequences per neuron for the prediction of --nir over several --steps (THEORY.md section 9.2).")
    var neuronSamples: Int = 1024

    func validate() throws {
        guard GraphStepsPrediction.sampleRange.contains(neuronSamples) else {
            throw ModelError.invalid(parameter: "neuron-samples", value: "\(neuronSamples)",
                                     allowed: "an integer from \(GraphStepsPrediction.sampleRange.lowerBound) to "
                                         + "\(GraphStepsPrediction.sampleRange.upperBound)")
        }
        guard dt.isFinite, dt > 0 else {
            throw ModelError.invalid(parameter: "dt", value: "\(dt)", allowed: "a positive number of seconds")
        }
    }

    /// The file's graph as the model runs it, and the file's own graph.
    func graph() throws -> (NetworkGraph, NIRGraph)? {
        guard let nir else { return nil }
        let file = try NIRGraph.read(path: nir)
        return (try file.networkGraph(file: nir, convention: convention, step: dt), file)
    }
}

extension NIRConvention: ChoiceOption {
    static let optionName = "convention", allowedNames = "exact, snntorch, norse, sinabs or rockpool"
}
