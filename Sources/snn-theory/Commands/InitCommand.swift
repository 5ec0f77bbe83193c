import ArgumentParser
import Foundation
import NIR
import SNNModel
import SNNFormats
import SNNReports
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
        At most \(ByteCount.text(Double(InitPlan.maximumNPYBytes))) per call.

        Examples:
          snn-theory init --widths 784,1000,1000,10 --theta 1
          snn-theory init --widths 784,1000,1000,10 --init paper --npy weights/
          snn-theory init --widths 1,32:3x3,64:3x3,flatten:24x24,10 --format json
          snn-theory init --widths 784,500,500,10 --target-rate 0.05
          snn-theory init --widths 784,1000,1000,10 --init paper --surrogate gaussian --format json
          snn-theory init --widths 1000,1000,1000 --init paper --weights-from solved.json --npy weights/
          snn-theory init --widths 784,1000,1000,10 --init paper --out net.nir --convention snntorch
          snn-theory init --nir model.nir --convention snntorch --init paper --out model-paper.nir
        """
    )

    @Option(help: ArgumentHelp("Input size, then per layer N (fully connected), C:KHxKW (convolution) or flatten:HxW.",
                               valueName: "n0,layer,..."))
    var widths: Parsed<LayerShapes>?

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

    @Option(help: "Output: table (for people), csv or json (for scripts); nir writes --out as NIR whatever its extension and prints the table.")
    var format: InitOutputFormat = .table

    @Option(help: ArgumentHelp("Write the weight matrices as .npy files into this directory (created if missing).",
                               valueName: "dir"))
    var npy: String?

    @Option(help: ArgumentHelp("Write the network with one initialization's weights as a NIR graph (Input -> Affine -> LIF ... -> Output), or with --nir the file's graph with new weights.",
                               valueName: "file.nir"))
    var out: String?

    @OptionGroup(title: "Your own network (a NIR file): new weights for it, written to --out") var graph: GraphOptions

    @Option(help: "With --nir: keep the file's biases, or zero them.")
    var bias: BiasChoice = .zero

    @Option(help: ArgumentHelp("Also the scale of this surrogate (\(Surrogate.allowedSpelling); its scale is solved for) that holds the first step's gradient at each initialization's weights: Var[delta_1] = Var[delta_L] (THEORY.md section 10). Fully connected layers, spike input.",
                               valueName: "name"))
    var surrogate: String?

    @Option(help: "Seed of the --npy and --out weights.")
    var seed: UInt64 = 1

    func validate() throws {
        if graph.nir != nil {
            guard out != nil else {
                throw ModelError.invalid(parameter: "nir", value: graph.nir!, allowed: "--nir together with --out FILE.nir")
            }
            guard `init`.value.count == 1 else {
                throw ModelError.invalid(parameter: "init", value: `init`.text, allowed: "one initialization with --nir")
            }
        }
        if format == .nir, out == nil {
            throw ModelError.invalid(parameter: "format", value: "nir", allowed: "nir together with --out FILE")
        }
        if let out, !out.hasSuffix(".nir"), format != .nir {
            throw ModelError.invalid(parameter: "out", value: out, allowed: "a file name ending in .nir, or --format nir")
        }
        if graph.nir != nil {
            if let surrogate {
                throw ModelError.invalid(parameter: "surrogate", value: surrogate, allowed: "--widths layers (not --nir)")
            }
            return
        }
        let plan = try self.plan()
        if let surrogate {
            let parsed = try Surrogate(parsing: surrogate)
            if parsed.kind == .straightThrough {
                throw ModelError.invalid(parameter: "surrogate", value: surrogate,
                                         allowed: "a surrogate with a scale (straight_through has none)")
            }
            if plan.layers.contains(where: { $0.kind != .linear }) {
                throw ModelError.invalid(parameter: "surrogate", value: surrogate,
                                         allowed: "fully connected layers only (the gradient theory has no convolutions yet)")
            }
        }
        if let npy {
            guard !npy.isEmpty else { throw ModelError.invalid(parameter: "npy", value: npy, allowed: "a directory path") }
            try plan.checkNPYSize()
        }
    }

    func plan() throws -> InitPlan {
        guard let widths else {
            throw ModelError.invalid(parameter: "widths", value: "none", allowed: "the input size, then the layers "
                                         + "(or --nir FILE with --out)")
        }
        return try InitPlan(layers: widths.value, neuron: NeuronModel(threshold: theta, leak: beta, reset: reset), input: input,
                     targetVariance: targetVariance, schemes: `init`.value, targetRate: targetRate,
                     weightsFile: weightsFrom, seed: seed)
    }

    func run() throws {
        if let (model, file) = try graph.graph(), let out {
            let scheme = `init`.value[0]
            let result = try GraphInitialization(file: file, model: model, scheme: scheme, targetVariance: targetVariance,
                                                 input: input, seed: seed, keepBias: bias == .keep)
            try result.graph.write(to: out)
            let predict = GraphPredictReport(file: out, convention: graph.convention.rawValue, step: graph.dt,
                                             input: input, prediction: result.prediction)
            let report = GraphInitReport(initialization: result, scheme: scheme.description, seed: seed, out: out,
                                         predict: predict)
            print((format.output ?? .table).text(json: report.json(), csv: report.csv(), table: report.table()),
                  terminator: "")
            return
        }
        let plan = try self.plan()
        var files: [String: [String]] = [:]
        if let npy {
            files = try plan.writeNPY(directory: npy)
            FileHandle.standardError.write(Data(("snn-theory: wrote \(plan.npyFileCount) .npy files "
                + "(\(ByteCount.text(plan.npyBytes))) to \(npy)\n").utf8))
        }
        if let out {
            let notes = try plan.writeNIR(to: out, convention: graph.convention, step: graph.dt)
            FileHandle.standardError.write(Data((["snn-theory: wrote \(out) (NIR, \(graph.convention.rawValue) convention)"]
                + notes.map { "snn-theory: note: \($0)" }).joined(separator: "\n").utf8 + [10]))
        }
        var report = InitReport(plan: plan, widthsSpec: widths?.text ?? "", npyDirectory: npy, files: files)
        if let surrogate { report.surrogates = try solvedSurrogates(plan, Surrogate(parsing: surrogate)) }
        print((format.output ?? .table).text(json: report.json(), csv: report.csv(), table: report.table()),
              terminator: "")
    }
}

extension InitCommand {
    /// Per initialization, `h` with the scale at which the first step's Var[delta_1] = Var[delta_L] at its weights, or
    /// nil where no scale does.
    func solvedSurrogates(_ plan: InitPlan, _ h: Surrogate) throws -> [String: Surrogate?] {
        let architecture = try Architecture(widths: [plan.layers[0].fanIn] + plan.layers.map(\.outputs))
        var solved: [String: Surrogate?] = [:]
        for s in plan.scales {
            let network = try Network(architecture: architecture, neuron: plan.neuron, input: plan.input,
                                      initialization: .variances(s.variances, name: s.name))
            do {
                let scale = try GradientRecursion.criticalScale(network, kind: h.kind, amplitude: h.amplitude,
                                                                resetGradient: .detached)
                solved[s.name] = try Surrogate(h.kind, scale: scale, amplitude: h.amplitude)
            } catch is GradientSolveError {
                solved[s.name] = .some(nil)
            }
        }
        return solved
    }
}

/// `init --format`: the report's format, or `nir` (the table, with --out written as NIR whatever its extension).
enum InitOutputFormat: String, ChoiceOption {
    case table, csv, json, nir

    static let optionName = "format", allowedNames = "table, csv, json or nir"

    var output: OutputFormat? { OutputFormat(rawValue: rawValue) }
}

/// `init --nir --bias`.
enum BiasChoice: String, ChoiceOption {
    case keep, zero

    static let optionName = "bias", allowedNames = "keep or zero"
}

/// `init --widths`: the input size, then the layers.
enum LayerShapes: OptionRule {
    static func parse(_ text: String) throws -> [LayerShape] { try LayerShape.parse(text) }
}
