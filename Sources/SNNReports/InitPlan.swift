import Foundation
import SNNModel
import SNNFormats
import SNNSimulator
import SNNTheory

/// One initialization's per-layer variances and distribution.
public struct SchemeScales: Sendable {
    public let name: String
    public let distribution: WeightDistribution
    public let variances: [Double]

    public init(name: String, distribution: WeightDistribution, variances: [Double]) {
        self.name = name
        self.distribution = distribution
        self.variances = variances
    }

    /// The file name stem: the name with ':' (sigma-w:0.5, target-rate:0.1) written as '-'.
    var fileStem: String { name.replacingOccurrences(of: ":", with: "-") }
}

/// What `init` reports and writes: the layers, the neuron and input the scales were set for, and each
/// initialization's scales; with `--npy`, the weight matrices drawn from `seed`.
public struct InitPlan: Sendable {
    public let layers: [LayerShape]
    public let neuron: NeuronModel
    public let input: InputEncoding
    public let targetVariance: Double
    public let scales: [SchemeScales]
    public let seed: UInt64

    /// The most the .npy files of one call may take.
    public static let maximumNPYBytes = 8_000_000_000

    public init(layers: [LayerShape], neuron: NeuronModel, input: InputEncoding, targetVariance: Double,
                scales: [SchemeScales], seed: UInt64)
    {
        self.layers = layers
        self.neuron = neuron
        self.input = input
        self.targetVariance = targetVariance
        self.scales = scales
        self.seed = seed
    }

    /// The plan of `init`: each of `schemes`' per-layer variances, then with `targetRate` the solver's first-step
    /// scales that hold it, then with `weightsFile` the scales in that file; every variance must be finite and > 0.
    public init(layers: [LayerShape], neuron: NeuronModel, input: InputEncoding, targetVariance: Double,
                schemes: [InitScheme], targetRate: Double?, weightsFile: String?, seed: UInt64) throws
    {
        _ = try InitScheme.checkedTargetVariance(targetVariance)
        var scales = try schemes.map { scheme in
            SchemeScales(name: scheme.description, distribution: scheme.naturalDistribution,
                         variances: try LayerShape.perLayer(layers) { architecture in
                             try WeightVariance.checked(scheme, architecture: architecture, neuron: neuron,
                                                      input: input, targetVariance: targetVariance)
                         })
        }
        if let targetRate {
            guard targetRate > 0, targetRate < 0.5 else {
                throw ModelError.invalid(parameter: "target-rate", value: "\(targetRate)",
                                         allowed: "a number in (0, 0.5) (a zero-mean potential exceeds theta > 0 with probability below 1/2)")
            }
            scales.append(SchemeScales(
                name: "target-rate:\(Format.exact(targetRate))", distribution: .gaussian,
                variances: try LayerShape.perLayer(layers) { architecture in
                    InitializationSolver.firstStep(try Network(architecture: architecture, neuron: neuron, input: input),
                                                   target: .rate(targetRate)).weightVariances
                }))
        }
        if let weightsFile {
            // Named from-STEM after the file (the name also names the .npy files; no scheme name starts so).
            let (variances, _) = try WeightsFile.variances(from: weightsFile, fanIns: layers.map(\.fanIn))
            let stem = ((weightsFile as NSString).lastPathComponent as NSString).deletingPathExtension
            let name = String(stem.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "-" })
            scales.append(SchemeScales(name: "from-" + name, distribution: .gaussian, variances: variances))
        }
        for s in scales {
            if let (l, v) = s.variances.enumerated().first(where: { !($0.element.isFinite && $0.element > 0) }) {
                throw ModelError.invalid(parameter: "init", value: s.name,
                                         allowed: "an initialization with a finite positive Var[w] at every layer "
                                             + "(layer \(l + 1) gets \(v) at theta \(neuron.threshold), beta "
                                             + "\(neuron.leak), target-variance \(targetVariance))")
            }
        }
        self.init(layers: layers, neuron: neuron, input: input, targetVariance: targetVariance, scales: scales,
                  seed: seed)
    }

    /// One file per initialization and layer.
    public var npyFileCount: Int { scales.count * layers.count }

    public var npyBytes: Double {
        Double(scales.count) * layers.reduce(0.0) { $0 + Double(NumPyFile.byteCount(shape: $1.weightShape)) }
    }

    /// Refuses, before any work, files larger than the tool writes or a layer that would not fit in memory.
    public func checkNPYSize() throws {
        let files = npyFileCount
        guard npyBytes <= Double(Self.maximumNPYBytes) else {
            throw ModelError.invalid(parameter: "npy", value: "\(files) files of \(ByteCount.text(npyBytes)) in all",
                                     allowed: "at most \(ByteCount.text(Double(Self.maximumNPYBytes))) per call "
                                         + "(write fewer initializations with --init, or smaller layers)")
        }
        let largest = layers.map { 4 * Double($0.outputs) * Double($0.fanIn) }.max() ?? 0
        let memory = Double(SimulationConfiguration.defaultMemoryLimit) / 2
        guard largest <= memory else {
            throw ModelError.invalid(parameter: "npy", value: "a layer of \(ByteCount.text(largest))",
                                     allowed: "layers that fit in half the usable memory (\(ByteCount.text(memory)))")
        }
    }

    /// Writes every matrix into `directory` (created if missing); returns the file names per initialization, in
    /// layer order.
    public func writeNPY(directory: String) throws -> [String: [String]] {
        try checkNPYSize()
        let url = URL(fileURLWithPath: directory)
        var existing = url
        while !FileManager.default.fileExists(atPath: existing.path), existing.pathComponents.count > 1 {
            existing.deleteLastPathComponent()
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw OutputFailure(message: "npy: '\(directory)' exists and is not a directory")
        }
        if let free = (try? FileManager.default.attributesOfFileSystem(forPath: existing.path))?[.systemFreeSize]
            as? NSNumber, npyBytes > 0.95 * free.doubleValue
        {
            throw OutputFailure(message: "npy: the \(npyFileCount) files need about "
                + "\(ByteCount.text(npyBytes)), more than the \(ByteCount.text(free.doubleValue)) free on '\(existing.path)'")
        }
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw OutputFailure(message: "npy: cannot create the directory '\(directory)'")
        }
        var files: [String: [String]] = [:]
        for s in scales {
            files[s.name] = try layers.enumerated().map { i, layer in
                let name = "\(s.fileStem)_layer\(i + 1).npy"
                let values = WeightMatrix.rowMajor(seed: seed, layer: i + 1, outputs: layer.outputs, inputs: layer.fanIn,
                                                   variance: s.variances[i], distribution: s.distribution)
                do { try NumPyFile.write(values, shape: layer.weightShape, to: url.appendingPathComponent(name)) } catch {
                    throw OutputFailure(message: "npy: \(error)")
                }
                return name
            }
        }
        return files
    }
}
