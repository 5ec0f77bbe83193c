import Foundation
import NIR
import SNNFormats
import SNNModel
import SNNReports
import SNNSimulator
import SNNTheory

/// `simulate --nir` and `compare --nir`: the user's graph simulated as read (and, for compare, beside the first-step
/// prediction), from Bernoulli or Gaussian inputs drawn from --seed or from the user's own array (--input-file).
struct GraphRun {
    let graph: GraphOptions
    let input: InputEncoding
    let inputFile: String?
    let steps: Int
    let batch: Int
    let seed: UInt64
    let threads: Int

    /// --input-file needs --nir; with --nir, the options of the flag-described network's runs are refused.
    static func checkOptions(nir: String?, inputFile: String?, unsupported: [(String, String?)]) throws {
        if nir == nil, let inputFile {
            throw ModelError.invalid(parameter: "input-file", value: inputFile, allowed: "a .npy file together with --nir")
        }
        guard nir != nil else { return }
        for case let (name, value?) in unsupported {
            throw ModelError.invalid(parameter: name, value: value, allowed: "nothing with --nir (not supported for a graph)")
        }
    }

    func report(compare: Bool) throws -> GraphSimulationReport {
        guard let (model, _) = try graph.graph() else { preconditionFailure("--nir is set") }
        var source = GraphInput.encoding(input)
        var inputText = input.description
        var batch = self.batch
        if let inputFile {
            let array: (values: [Float], shape: [Int])
            do { array = try NumPyFile.read(path: inputFile) } catch {
                throw ModelError.invalid(parameter: "input-file", value: inputFile, allowed: "a .npy array: \(error)")
            }
            source = .array(values: array.values, shape: array.shape)
            inputText = "\(inputFile) \(array.shape)"
            batch = array.shape.first ?? 1
        }
        let simulation = try GraphSimulation(graph: model, steps: steps, batch: batch, input: source, seed: seed,
                                             threads: threads)
        let progress = ProgressLine.forTerminal(label: "steps")
        var update: (@Sendable (Int, Int) -> Void)? = nil
        if let progress { update = { done, total in progress.update(done, total) } }
        let statistics = try simulation.run(progress: update)
        progress?.finish()
        let prediction = compare ? GraphPrediction(model, input: input) : nil
        // Several steps are predicted where the theory runs them (section 9.2: a feed-forward graph, T <= 64, the
        // encoding's input rather than a user's array).
        let stepsPrediction = compare && inputFile == nil && steps > 1 && steps <= GraphStepsPrediction.maximumSteps
            && !model.isRecurrent
            ? try GraphStepsPrediction(model, input: input, steps: steps, samples: graph.neuronSamples, seed: seed,
                                       threads: threads)
            : nil
        return GraphSimulationReport(file: graph.nir!, convention: graph.convention.rawValue, step: graph.dt,
                                     input: inputText, statistics: statistics, prediction: prediction,
                                     stepsPrediction: stepsPrediction)
    }
}
