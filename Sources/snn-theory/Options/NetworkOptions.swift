import ArgumentParser
import SNNModel
import SNNFormats
import SNNTheory

/// The options that describe the network, shared by `predict`, `simulate` and `compare` (which sweeps the layer
/// width, threshold and leak itself; the others take them from `SingleNetworkOptions`).
struct NetworkOptions: ParsableArguments {
    @Option(help: "Number of layers L (predict, simulate: ignored when --widths gives the layer sizes).")
    var depth: Int = 100

    @Option(name: .customLong("input-size"), help: "Input size n0 (default: the layer width; predict, simulate: ignored when --widths gives the layer sizes).")
    var inputSize: Int?

    @Option(help: "Reset after a spike: subtract (u -= theta) or zero (u = 0).")
    var reset: Reset = .subtract

    @Option(help: "Number of time steps T, from 1 to 1024 (compare: all are simulated; t = 1 is compared, and with T > 1 also the rate averaged over t = 1..T).")
    var steps: Int = 1

    @Option(help: ArgumentHelp("Input: bernoulli:P (spikes of rate P, iid over time) or gaussian:S (analog currents).",
                               valueName: "kind:value"))
    var input: InputEncoding = .bernoulli(rate: 0.2)

    @Option(name: .customLong("target-variance"),
            help: "Membrane variance sigma_t^2 the paper's initialization holds, in [1e-12, 1e12].")
    var targetVariance: Double = 1
}

/// One network: the shared options, and its layer sizes and neuron.
struct SingleNetworkOptions: ParsableArguments {
    @OptionGroup var shared: NetworkOptions

    @Option(help: "Neurons per layer (ignored when --widths is given).")
    var width: Int = 1000

    @Option(help: ArgumentHelp("Layer sizes n0,n1,...,nL: input size, then each layer's width.",
                               valueName: "n0,n1,...,nL"))
    var widths: Parsed<LayerSizes>?

    @Option(help: "Firing threshold theta, in [1e-6, 1e6].")
    var theta: Double = 1

    @Option(help: "Leak beta in [0, 1] (1: non-leaky integrate-and-fire).")
    var beta: Double = 0.9

    var depth: Int { shared.depth }
    var inputSize: Int? { shared.inputSize }
    var reset: Reset { shared.reset }
    var steps: Int { shared.steps }
    var input: InputEncoding { shared.input }
    var targetVariance: Double { shared.targetVariance }

    func architecture() throws -> Architecture {
        if let widths { return try Architecture(widths: widths.value) }
        return try Architecture(inputSize: inputSize ?? width, width: width, depth: depth)
    }

    func neuron() throws -> NeuronModel { try NeuronModel(threshold: theta, leak: beta, reset: reset) }

    /// The network these options describe, initialized by `initialization` (the paper's scheme at the target
    /// variance unless given).
    func model(_ initialization: Initialization? = nil, weightDistribution: WeightDistribution? = nil) throws
        -> Network
    {
        try Network(architecture: architecture(), neuron: neuron(), steps: checkedSteps(), input: input,
                    initialization: initialization ?? .scheme(.paper, targetVariance: checkedTargetVariance()),
                    weightDistribution: weightDistribution)
    }


    func checkedSteps() throws -> Int { try Network.checkedSteps(steps) }

    func checkedTargetVariance() throws -> Double {
        _ = try InitScheme.checkedTargetVariance(targetVariance)
        return targetVariance
    }

    /// Checks every option, so bad input fails before any work starts.
    func validateAll() throws {
        _ = try architecture()
        _ = try neuron()
        _ = try checkedSteps()
        _ = try checkedTargetVariance()
    }
}

/// `--widths n0,n1,...,nL` as integers; their ranges are the architecture's to check.
enum LayerSizes: OptionRule {
    static func parse(_ text: String) throws -> [Int] { try Architecture.widths(parsing: text) }
}

extension OutputFormat: ExpressibleByArgument {}

/// Numerical settings of the multi-step theory.
struct TemporalOptions: ParsableArguments {
    @Option(help: "Multi-step integral: automatic (quadrature for T <= 2, else qmc), quadrature, or qmc.")
    var method: TemporalKernelMethod = .automatic

    @Option(name: .customLong("qmc-points"), help: "Quasi-Monte Carlo points per replicate (64 to 1048576).")
    var qmcPoints: Int = 4096

    @Option(name: .customLong("qmc-replicates"),
            help: "Independent randomizations (2 to 256); their spread is the reported error.")
    var qmcReplicates: Int = 8

    @Option(help: "Seed of the quasi-Monte Carlo randomization.")
    var seed: UInt64 = 1

    /// `settings(steps:)`, refusing work that would run for many minutes: quasi-Monte Carlo costs points x replicates
    /// x T^2 per layer evaluation; `layerEvaluations` is how many layer evaluations the command makes.
    func settings(steps: Int, layerEvaluations: Int) throws -> TemporalKernelSettings {
        let settings = try settings(steps: steps)
        try TemporalKernelSettings.checkWork(steps: steps, points: settings.points, replicates: settings.replicates,
                           layerEvaluations: layerEvaluations)
        return settings
    }

    func settings(steps: Int) throws -> TemporalKernelSettings {
        if method == .quadrature && steps > 2 {
            throw ModelError.invalid(parameter: "method", value: method.rawValue,
                                     allowed: "automatic or qmc for --steps above 2 (quadrature covers T <= 2)")
        }
        try TemporalKernelSettings.checkQuasiMonteCarlo(points: qmcPoints, replicates: qmcReplicates)
        return TemporalKernelSettings(method: method, points: qmcPoints, replicates: qmcReplicates, seed: seed)
    }
}

/// The options `advise` and `phase` share: the network the exact finite-width chain describes (one width for the
/// input and every layer) and the multi-step kernel map whose slope they estimate with --steps above 1.
struct StabilityOptions: ParsableArguments {
    @Option(help: "Neurons per layer, and inputs (1 to 65536).")
    var width: Int = 1000

    @Option(help: ArgumentHelp("Input: bernoulli:P or gaussian:S.", valueName: "kind:value"))
    var input: InputEncoding = .bernoulli(rate: 0.2)

    @Option(name: .customLong("negligible-probability"),
            help: "The chain's truncation: terms below this are dropped (1e-300 to 1e-6).")
    var negligibleProbability: Double = PhaseDiagram.defaultNegligibleProbability

    @Option(help: "Time steps T: above 1, also the numerical slope of the multi-step kernel map (slow).")
    var steps: Int = 1

    @Option(help: "Leak beta in [0, 1] (multi-step slope).")
    var beta: Double = 0.9

    @Option(help: "Reset after a spike: subtract or zero (multi-step slope).")
    var reset: Reset = .subtract

    @OptionGroup(title: "The multi-step theory (used when steps > 1)") var temporal: TemporalOptions

    /// The checked input, steps and leak and reset, and the multi-step work of `layerEvaluations` layer evaluations.
    func validate(layerEvaluations: Int) throws {
        _ = try Network.checkedSteps(steps)
        _ = try neuron(threshold: 1)
        _ = try temporal.settings(steps: steps, layerEvaluations: layerEvaluations)
    }

    /// The neuron of the multi-step slope (the first step depends on the threshold only).
    func neuron(threshold: Double) throws -> NeuronModel {
        try NeuronModel(threshold: threshold, leak: beta, reset: reset)
    }

    /// The chain's diagram at `depth` with `tolerance`, on `axis`.
    func diagram(axis: PhaseAxis = .targetVariance, depth: Int, tolerance: Double) throws -> PhaseDiagram {
        try PhaseDiagram(axis: axis, depth: depth, width: width, input: input,
                         tolerance: tolerance, negligibleProbability: negligibleProbability)
    }

    /// The multi-step settings to report: nil at one step.
    func reportedSettings() throws -> TemporalKernelSettings? {
        steps > 1 ? try temporal.settings(steps: steps) : nil
    }
}
