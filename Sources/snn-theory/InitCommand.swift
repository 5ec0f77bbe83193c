import ArgumentParser
import Foundation
import SNNModel
import SNNFormats
import SNNSimulator
import SNNTheory

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Weight scales for your architecture under every initialization, and the weights as .npy files.",
        discussion: """
        Per layer and initialization: fan-in, width, Var[w] (csv, json) and its standard deviation, and the distribution \
        (Gaussian, or uniform for pytorch, both with mean 0). --target-rate R adds the solver's first-step scales \
        that hold the spike rate R at every layer; --weights-from FILE adds the scales in a predict or simulate JSON \
        file (such as the ones `simulate --target-rate R --solve-on sampler` solves at your width).

        --widths takes the input size, then one entry per layer:
          N            a fully connected layer of N neurons
          C:KHxKW      a convolution: C output channels, KH x KW kernel (C:K if
                       square); fan-in = input channels x KH x KW, fan-out =
                       C x KH x KW (PyTorch's convention, used by glorot)
          flatten:HxW  not a layer: the C channels before it, H x W maps, are
                       the C*H*W inputs of the next fully connected layer
                       (flatten:1x1 after global pooling)

        With --npy DIR the weight matrices are written as NumPy .npy files, one per initialization and layer, named \
        INIT_layerL.npy (e.g. paper_layer1.npy): float32, C order, shape (out, in) like torch.nn.Linear.weight, or \
        (out, C, KH, KW) like torch.nn.Conv2d.weight. They are drawn with the simulator's generator from --seed: \
        the same seed gives the same files, equal to the weights `simulate --seed` draws for its first network. \
        Every initialization uses the same underlying draws, so two initializations' files differ only in scale \
        (and pytorch's, which are uniform). Each file is written to a temporary name and renamed into place. \
        At most \(ByteCount.text(Double(InitCommand.maximumNPYBytes))) per call.

        Examples:
          snn-theory init --widths 784,1000,1000,10 --theta 1
          snn-theory init --widths 784,1000,1000,10 --init paper --npy weights/
          snn-theory init --widths 1,32:3x3,64:3x3,flatten:24x24,10 --format json
          snn-theory init --widths 784,500,500,10 --target-rate 0.05
          snn-theory init --widths 1000,1000,1000 --init paper --weights-from solved.json --npy weights/
        """
    )

    static let maximumNPYBytes = 8_000_000_000

    @Option(help: ArgumentHelp("Input size, then per layer N (fully connected), C:KHxKW (convolution) or flatten:HxW.",
                               valueName: "n0,layer,..."))
    var widths: Parsed<LayerShapes>

    @Option(help: "Firing threshold theta, in [1e-6, 1e6].")
    var theta: Double = 1

    @Option(help: "Leak beta in [0, 1] (used by paper-reset and paper-balance).")
    var beta: Double = 0.9

    @Option(help: "Reset after a spike: subtract (u -= theta) or zero (u = 0).")
    var reset: Reset = .subtract

    @Option(help: ArgumentHelp("Input: bernoulli:P (spikes of rate P) or gaussian:S (analog values); sets layer 1's paper scale.",
                               valueName: "kind:value"))
    var input: InputEncoding = .bernoulli(rate: 0.2)

    @Option(name: .customLong("target-variance"),
            help: "Membrane variance sigma_t^2 the paper's initialization holds, in [1e-12, 1e12].")
    var targetVariance: Double = 1

    @Option(help: ArgumentHelp("Initializations, comma-separated: \(InitScheme.allowedNames).",
                               valueName: "scheme,..."))
    var `init`: Parsed<InitList> = "paper,paper-reset,paper-balance,kaiming,lecun,glorot,pytorch"

    @Option(name: .customLong("target-rate"),
            help: "Also the solver's first-step scales that hold this spike rate, in (0, 0.5), at every layer.")
    var targetRate: Double?

    @Option(name: .customLong("weights-from"),
            help: ArgumentHelp("Also the per-layer Var[w] of a `predict` or `simulate --format json` file, e.g. scales solved with `simulate --solve-on sampler` (Gaussian).",
                               valueName: "file.json"))
    var weightsFrom: String?

    @Option(help: "Output: table (for people), csv or json (for scripts).")
    var format: OutputFormat = .table

    @Option(help: ArgumentHelp("Write the weight matrices as .npy files into this directory (created if missing).",
                               valueName: "dir"))
    var npy: String?

    @Option(help: "Seed of the --npy weights.")
    var seed: UInt64 = 1

    func validate() throws {
        let plan = try self.plan()
        if let npy {
            guard !npy.isEmpty else { throw ModelError.invalid(parameter: "npy", value: npy, allowed: "a directory path") }
            try plan.checkNPYSize()
        }
    }

    func plan() throws -> InitPlan {
        let layers = widths.value
        let neuron = try NeuronModel(threshold: theta, leak: beta, reset: reset)
        let inputEncoding = input
        _ = try InitScheme.checkedTargetVariance(targetVariance)
        let schemes = `init`.value
        var scales = try schemes.map { scheme in
            SchemeScales(name: scheme.description, distribution: scheme.naturalDistribution,
                         variances: try LayerShape.perLayer(layers) { architecture in
                             try WeightVariance.checked(scheme, architecture: architecture, neuron: neuron,
                                                      input: inputEncoding, targetVariance: targetVariance)
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
                    InitializationSolver.firstStep(try Network(architecture: architecture, neuron: neuron,
                                                               input: inputEncoding),
                                                   target: .rate(targetRate)).weightVariances
                }))
        }
        if let weightsFrom {
            // Named from-STEM after the file (the name also names the .npy files; no scheme name starts so).
            let (variances, _) = try WeightsFile.variances(from: weightsFrom, fanIns: layers.map(\.fanIn))
            let stem = ((weightsFrom as NSString).lastPathComponent as NSString).deletingPathExtension
            let name = String(stem.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "-" })
            scales.append(SchemeScales(name: "from-" + name, distribution: .gaussian, variances: variances))
        }
        for s in scales {
            if let (l, v) = s.variances.enumerated().first(where: { !($0.element.isFinite && $0.element > 0) }) {
                throw ModelError.invalid(parameter: "init", value: s.name,
                                         allowed: "an initialization with a finite positive Var[w] at every layer "
                                             + "(layer \(l + 1) gets \(v) at theta \(theta), beta \(beta), "
                                             + "target-variance \(targetVariance))")
            }
        }
        return InitPlan(layers: layers, neuron: neuron, input: inputEncoding, targetVariance: targetVariance,
                        scales: scales, seed: seed)
    }

    func run() throws {
        let plan = try self.plan()
        var files: [String: [String]] = [:]
        if let npy {
            files = try plan.writeNPY(directory: npy)
        }
        let report = InitReport(plan: plan, widthsSpec: widths.text, npyDirectory: npy, files: files)
        switch format {
        case .json: print(report.json().rendered())
        case .csv: print(report.csv(), terminator: "")
        case .table: print(report.table())
        }
    }
}

/// `init --widths`: the input size, then the layers.
enum LayerShapes: OptionRule {
    static func parse(_ text: String) throws -> [LayerShape] { try LayerShape.parse(text) }
}

/// One layer of `init --widths`: a fully connected layer or a 2-d convolution.
struct LayerShape: Equatable {
    enum Kind: Equatable {
        case linear
        case conv2d(kernelHeight: Int, kernelWidth: Int)
    }

    let kind: Kind
    /// Input features (linear) or input channels (convolution).
    let inputs: Int
    /// Output features or channels: the layer's width.
    let outputs: Int

    var kernelSize: Int {
        if case let .conv2d(h, w) = kind { return h * w }
        return 1
    }

    /// Inputs per output neuron: n_in of every initialization rule.
    var fanIn: Int { inputs * kernelSize }
    /// PyTorch's fan-out (outputs x kernel size for a convolution), the n_out of Glorot's rule.
    var fanOut: Int { outputs * kernelSize }

    /// torch.nn.Linear.weight's (out, in), or torch.nn.Conv2d.weight's (out, in, KH, KW).
    var weightShape: [Int] {
        if case let .conv2d(h, w) = kind { return [outputs, inputs, h, w] }
        return [outputs, inputs]
    }

    static let allowed = "the input size, then per layer N (fully connected), C:KHxKW (convolution) or flatten:HxW, "
        + "e.g. 784,1000,10 or 1,32:3x3,64:3x3,flatten:24x24,10"

    /// Parses `n0,entry,...` (see `init --help`); sizes, fan-ins and fan-outs are at most `Architecture.maximumWidth`.
    static func parse(_ text: String) throws -> [LayerShape] {
        func fail(_ value: String, _ allowed: String = allowed) -> ModelError {
            .invalid(parameter: "widths", value: value, allowed: allowed)
        }
        let maximum = Architecture.maximumWidth
        func size(_ s: Substring, _ entry: String) throws -> Int {
            guard let v = Int(s.trimmingCharacters(in: .whitespaces)), v >= 1, v <= maximum else {
                throw fail(entry, "sizes from 1 to \(maximum) in " + allowed)
            }
            return v
        }
        func pair(_ s: Substring, _ entry: String) throws -> (Int, Int) {
            let parts = s.split(separator: "x", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw fail(entry) }
            let a = try size(parts[0], entry)
            return (a, parts.count == 2 ? try size(parts[1], entry) : a)
        }
        func product(_ values: [Int], _ entry: String, _ what: String) throws -> Int {
            var p = 1
            for v in values {
                let (q, overflow) = p.multipliedReportingOverflow(by: v)
                guard !overflow, q <= maximum else { throw fail(entry, "\(what) of at most \(maximum)") }
                p = q
            }
            return p
        }
        let entries = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard entries.count >= 2 else { throw fail(text) }
        guard entries.count <= 100_001 else { throw fail("\(entries.count - 1) layers", "at most 100000 layers") }
        var current = try size(Substring(entries[0]), entries[0])
        var previousWasConvolution = false
        var flattened = false
        var layers: [LayerShape] = []
        for entry in entries.dropFirst() {
            let parts = entry.split(separator: ":", omittingEmptySubsequences: false)
            if parts.count == 2, parts[0] == "flatten" {
                guard !flattened, layers.last.map({ $0.kind != .linear }) ?? true else {
                    throw fail(entry, "flatten:HxW after the input or a convolution only")
                }
                let (h, w) = try pair(parts[1], entry)
                current = try product([current, h, w], entry, "flattened size C x H x W")
                flattened = true
                previousWasConvolution = false
            } else if parts.count == 2 {
                guard !flattened else { throw fail(entry, "fully connected layers after flatten:HxW") }
                let channels = try size(parts[0], entry)
                let (h, w) = try pair(parts[1], entry)
                let layer = LayerShape(kind: .conv2d(kernelHeight: h, kernelWidth: w), inputs: current, outputs: channels)
                _ = try product([current, h, w], entry, "fan-in C x KH x KW")
                _ = try product([channels, h, w], entry, "fan-out C x KH x KW")
                layers.append(layer)
                current = channels
                previousWasConvolution = true
            } else if parts.count == 1 {
                guard !previousWasConvolution else {
                    throw fail(entry, "flatten:HxW (the feature map size) between a convolution and a fully connected layer")
                }
                let n = try size(parts[0], entry)
                layers.append(LayerShape(kind: .linear, inputs: current, outputs: n))
                current = n
                flattened = false
            } else {
                throw fail(entry)
            }
        }
        guard !layers.isEmpty, !flattened else { throw fail(text, "at least one layer, and a layer after flatten:HxW") }
        return layers
    }

    /// Applies a rule that maps an `Architecture` to per-layer weight variances to these layers.
    ///
    /// Every rule the toolkit knows sets Var[w_l] from the layer's fan-in, its fan-out and whether it is the first
    /// layer. A convolution's fan-in and PyTorch fan-out are not one list of widths, so the rule sees each layer l
    /// >= 2 as layer 2 of the network [n_0, fan-in_l, fan-out_l] (and layer 1 as [fan-in_1, fan-out_1]). For fully
    /// connected layers this is the whole network's rule; a test checks it against `predict`.
    static func perLayer(_ layers: [LayerShape], _ rule: (Architecture) throws -> [Double]) throws -> [Double] {
        try layers.enumerated().map { i, layer in
            let widths = i == 0 ? [layer.fanIn, layer.fanOut] : [layers[0].fanIn, layer.fanIn, layer.fanOut]
            return try rule(Architecture(widths: widths)).last!
        }
    }
}

/// One initialization's per-layer variances and distribution.
struct SchemeScales {
    let name: String
    let distribution: WeightDistribution
    let variances: [Double]

    /// The file name stem: the name with ':' (sigma-w:0.5, target-rate:0.1) written as '-'.
    var fileStem: String { name.replacingOccurrences(of: ":", with: "-") }
}

struct InitPlan {
    let layers: [LayerShape]
    let neuron: NeuronModel
    let input: InputEncoding
    let targetVariance: Double
    let scales: [SchemeScales]
    let seed: UInt64

    var npyBytes: Double {
        Double(scales.count) * layers.reduce(0.0) { $0 + Double(NumPyFile.byteCount(shape: $1.weightShape)) }
    }

    /// Refuses, before any work, files larger than the tool writes or a layer that would not fit in memory.
    func checkNPYSize() throws {
        let files = scales.count * layers.count
        guard npyBytes <= Double(InitCommand.maximumNPYBytes) else {
            throw ModelError.invalid(parameter: "npy", value: "\(files) files of \(ByteCount.text(npyBytes)) in all",
                                     allowed: "at most \(ByteCount.text(Double(InitCommand.maximumNPYBytes))) per call "
                                         + "(write fewer initializations with --init, or smaller layers)")
        }
        let largest = layers.map { 4 * Double($0.outputs) * Double($0.fanIn) }.max() ?? 0
        let memory = Double(SimulationConfiguration.defaultMemoryLimit) / 2
        guard largest <= memory else {
            throw ModelError.invalid(parameter: "npy", value: "a layer of \(ByteCount.text(largest))",
                                     allowed: "layers that fit in half the usable memory (\(ByteCount.text(memory)))")
        }
    }

    /// Writes every matrix; returns the file names per initialization, in layer order.
    func writeNPY(directory: String) throws -> [String: [String]] {
        try checkNPYSize()
        let url = URL(fileURLWithPath: directory)
        var existing = url
        while !FileManager.default.fileExists(atPath: existing.path), existing.pathComponents.count > 1 {
            existing.deleteLastPathComponent()
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw CommandFailure(message: "npy: '\(directory)' exists and is not a directory")
        }
        if let free = (try? FileManager.default.attributesOfFileSystem(forPath: existing.path))?[.systemFreeSize]
            as? NSNumber, npyBytes > 0.95 * free.doubleValue
        {
            throw CommandFailure(message: "npy: the \(scales.count * layers.count) files need about "
                + "\(ByteCount.text(npyBytes)), more than the \(ByteCount.text(free.doubleValue)) free on '\(existing.path)'")
        }
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw CommandFailure(message: "npy: cannot create the directory '\(directory)'")
        }
        var files: [String: [String]] = [:]
        for s in scales {
            files[s.name] = try layers.enumerated().map { i, layer in
                let name = "\(s.fileStem)_layer\(i + 1).npy"
                let values = WeightMatrix.rowMajor(seed: seed, layer: i + 1, outputs: layer.outputs, inputs: layer.fanIn,
                                                   variance: s.variances[i], distribution: s.distribution)
                do { try NumPyFile.write(values, shape: layer.weightShape, to: url.appendingPathComponent(name)) } catch {
                    throw CommandFailure(message: "npy: \(error)")
                }
                return name
            }
        }
        FileHandle.standardError.write(Data(("snn-theory: wrote \(scales.count * layers.count) .npy files "
            + "(\(ByteCount.text(npyBytes))) to \(directory)\n").utf8))
        return files
    }
}

struct InitReport {
    let plan: InitPlan
    let widthsSpec: String
    let npyDirectory: String?
    let files: [String: [String]]

    static let layout = "iid, mean 0; npy: float32, C order, shape (out, in) = torch.nn.Linear.weight, "
        + "(out, in, KH, KW) = torch.nn.Conv2d.weight"

    var modelJSON: JSON {
        var fields: [(String, JSON)] = [
            ("tool", .string("snn-theory")),
            ("version", .string(SNNTheoryCommand.version)),
            ("command", .string("init")),
            ("widths", .string(widthsSpec)),
            ("depth", .integer(plan.layers.count)),
            ("theta", .number(plan.neuron.threshold)),
            ("beta", .number(plan.neuron.leak)),
            ("reset", .string(plan.neuron.reset.rawValue)),
            ("input", .string(plan.input.description)),
            ("init", .string(plan.scales.map(\.name).joined(separator: ","))),
            ("target_variance", .number(plan.targetVariance)),
            ("seed", .integer(Int(truncatingIfNeeded: plan.seed))),
            ("conventions", .string(plan.neuron.conventions)),
            ("weights", .string(Self.layout)),
        ]
        if let npyDirectory { fields.append(("npy_dir", .string(npyDirectory))) }
        return .object(fields)
    }

    func layerJSON(_ s: SchemeScales, _ i: Int) -> JSON {
        let layer = plan.layers[i], variance = s.variances[i]
        var fields: [(String, JSON)] = [
            ("layer", .integer(i + 1)),
            ("kind", .string(layer.kind == .linear ? "linear" : "conv2d")),
            ("fan_in", .integer(layer.fanIn)),
            ("fan_out", .integer(layer.fanOut)),
            ("width", .integer(layer.outputs)),
        ]
        if case let .conv2d(h, w) = layer.kind { fields.append(("kernel", .array([.integer(h), .integer(w)]))) }
        fields += [
            ("weight_shape", .array(layer.weightShape.map { .integer($0) })),
            ("weight_variance", .number(variance)),
            ("weight_std", .number(variance.squareRoot())),
            ("distribution", .string(s.distribution.rawValue)),
        ]
        if s.distribution == .uniform { fields.append(("uniform_bound", .number((3 * variance).squareRoot()))) }
        if let name = files[s.name]?[i] { fields.append(("npy", .string(name))) }
        return .object(fields)
    }

    /// Like `predict`: one initialization puts `layers` at the top, several go under `initializations`.
    func json() -> JSON {
        func layers(_ s: SchemeScales) -> JSON { .array(plan.layers.indices.map { layerJSON(s, $0) }) }
        if plan.scales.count == 1, let only = plan.scales.first {
            return .object([("model", modelJSON), ("layers", layers(only))])
        }
        return .object([
            ("model", modelJSON),
            ("initializations", .array(plan.scales.map { s in
                .object([("init", .string(s.name)), ("distribution", .string(s.distribution.rawValue)),
                         ("layers", layers(s))])
            })),
        ])
    }

    var provenance: [String] {
        [
            "snn-theory \(SNNTheoryCommand.version) init: weight scales per layer (standard deviations; Var[w] in csv and json)",
            "network: \(widthsSpec) (\(plan.layers.count) layers); input \(plan.input)",
            "neuron: theta \(Format.number(plan.neuron.threshold)), beta \(Format.number(plan.neuron.leak)), "
                + "reset \(plan.neuron.reset.rawValue); \(plan.neuron.conventions)",
            "init: \(plan.scales.map(\.name).joined(separator: ",")) (paper target variance "
                + "\(Format.number(plan.targetVariance))); seed \(plan.seed)",
            "weights: \(Self.layout)",
        ]
    }

    func kernelText(_ layer: LayerShape) -> String {
        if case let .conv2d(h, w) = layer.kind { return "\(h)x\(w)" }
        return ""
    }

    func csv() -> String {
        var lines = provenance.map { "# " + $0 }
        lines.append("init,layer,kind,fan_in,fan_out,width,kernel,weight_shape,weight_variance,weight_std,distribution,"
            + "uniform_bound,npy")
        for s in plan.scales {
            for (i, layer) in plan.layers.enumerated() {
                let v = s.variances[i]
                lines.append([
                    Format.csvField(s.name), "\(i + 1)", layer.kind == .linear ? "linear" : "conv2d", "\(layer.fanIn)",
                    "\(layer.fanOut)", "\(layer.outputs)", kernelText(layer),
                    layer.weightShape.map(String.init).joined(separator: "x"), Format.exact(v),
                    Format.exact(v.squareRoot()), s.distribution.rawValue,
                    s.distribution == .uniform ? Format.exact((3 * v).squareRoot()) : "", files[s.name]?[i] ?? "",
                ].joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The weight standard deviation per layer and initialization; Var[w] is its square.
    func table() -> String {
        let header = ["layer", "kind", "fan_in", "width"] + plan.scales.map { "std \($0.name)" }
        let rows = plan.layers.enumerated().map { i, layer in
            ["\(i + 1)", layer.kind == .linear ? "linear" : "conv \(kernelText(layer))", "\(layer.fanIn)",
             "\(layer.outputs)"] + plan.scales.map { Format.number($0.variances[i].squareRoot()) }
        }
        var out = provenance
        out.append("")
        out.append(Format.table(header: header, rows: rows))
        out.append("")
        for s in plan.scales {
            let how = s.distribution == .uniform ? "Uniform(-b, b) with b = sqrt(3) std" : "Gaussian N(0, std^2)"
            let location = files[s.name].map { "; written to \($0.first!) ... \($0.last!) in \(npyDirectory ?? ".")" } ?? ""
            out.append("\(s.name): \(how)\(location)")
        }
        return out.joined(separator: "\n")
    }
}
