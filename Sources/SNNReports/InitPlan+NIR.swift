import Foundation
import NIR
import SNNFormats
import SNNModel
import SNNSimulator

extension InitPlan {
    /// Writes the network as a NIR graph, Input -> Affine -> neuron -> ... -> Output, with the weights of the one
    /// initialization in `scales` (the same draws as its .npy files) and the neuron as `convention`'s importer needs
    /// it (THEORY.md section 8). Returns what the convention will not reproduce, in words. Convolutions are refused:
    /// the flags give no spatial input size to write.
    public func writeNIR(to path: String, convention: NIRConvention, step: Double) throws -> [String] {
        guard scales.count == 1, let scheme = scales.first else {
            throw ModelError.invalid(parameter: "out", value: "\(scales.count) initializations",
                                     allowed: "one initialization per NIR file (--init NAME)")
        }
        guard layers.allSatisfy({ if case .linear = $0.kind { true } else { false } }) else {
            throw ModelError.invalid(parameter: "out", value: "a network with convolutions",
                                     allowed: "fully connected layers only (a NIR file of a convolution needs the "
                                         + "input's height and width)")
        }
        let encoding: NIRNeuronEncoding
        do {
            encoding = try NIRNeuronEncoding(leak: neuron.leak, threshold: neuron.threshold,
                                             subtractReset: neuron.reset == .subtract, convention: convention,
                                             step: step)
        } catch let error as NIREncodingError {
            throw ModelError.invalid(parameter: "convention", value: convention.rawValue, allowed: error.reason)
        }
        let weights = layers.enumerated().map { index, layer in
            (weight: WeightMatrix.rowMajor(seed: seed, layer: index + 1, outputs: layer.outputs, inputs: layer.fanIn,
                                           variance: scheme.variances[index], distribution: scheme.distribution),
             outputs: layer.outputs)
        }
        let graph = NIRGraph.feedForward(inputSize: layers[0].inputs, layers: weights, neuron: encoding)
        let temporary = path + ".partial"
        do {
            try graph.write(to: temporary)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw OutputFailure(message: "out: cannot write '\(path)': \(error)")
        }
        // rename(2) replaces an existing file atomically: the path holds the old file or the whole new one.
        guard rename(temporary, path) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw OutputFailure(message: "out: cannot write '\(path)': \(String(cString: strerror(errno)))")
        }
        return encoding.notes
    }
}
