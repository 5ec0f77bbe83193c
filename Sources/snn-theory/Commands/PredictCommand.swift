import ArgumentParser
import NIR
import SNNModel
import SNNFormats
import SNNReports
import SNNTheory

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict membrane variance and spike rate at every layer, and the weight scale to use.",
        discussion: """
        Mean-field theory of the first time step (THEORY.md section 3): Var[u_l] = n_{l-1} Var[w_l] P(u_{l-1} > theta).

        Examples:
          # The paper's point: its initialization holds the variance at 1, Kaiming's collapses.
          snn-theory predict --depth 100 --width 1000 --theta 1 --init paper,kaiming,glorot,lecun,pytorch

          # A non-uniform architecture, as JSON for a script.
          snn-theory predict --widths 784,1000,1000,10 --init paper --format json

          # Gradients (THEORY.md section 10): per layer Var[delta_l] and Var[dL/dW_l] relative to the last layer.
          snn-theory predict --depth 20 --gradients --surrogate atan:2
          snn-theory predict --depth 20 --steps 10 --beta 0.9 --gradients --surrogate fast_sigmoid:25

          # The surrogate scale that holds the gradient, with the paper's weights.
          snn-theory predict --depth 50 --gradients --surrogate gaussian --solve both
        """
    )

    @OptionGroup var network: SingleNetworkOptions

    @OptionGroup(title: "Your own network (a NIR file)") var graph: GraphOptions

    @Option(help: ArgumentHelp("Initialization, or a comma-separated list to compare: \(InitScheme.allowedNames).",
                               valueName: "scheme[,scheme...]"))
    var `init`: Parsed<InitList> = "paper"

    @Option(help: "Output: table (for people), csv or json (for scripts).")
    var format: OutputFormat = .table

    @Flag(name: .customLong("all-layers"), help: "Show every layer in the table (default: a selection when L > 20).")
    var allLayers = false

    @OptionGroup(title: "Several time steps (used when steps > 1)") var temporal: TemporalOptions

    @OptionGroup(title: "Gradients") var gradient: GradientOptions

    @Option(help: "With --gradients: solve for the surrogate's scale holding Var[delta_1] = Var[delta_L], under --init (surrogate) or with the paper's weights at --target-variance (both).")
    var solve: GradientSolve?

    @Option(help: ArgumentHelp("Also write an SVG figure: variance and rate against depth per initialization.",
                               valueName: "file.svg"))
    var plot: String?

    @Flag(name: .customLong("finite-width"),
          help: "Add the exact finite-width theory of the first step: silent probability, mean rate, quantiles.")
    var finiteWidth = false

    @Option(name: .customLong("target-rate"),
            help: "Also solve for per-layer weight scales that hold this rate at every layer (up to about 0.5: with zero-mean currents the rate tends to 1/2 at large scales).")
    var targetRate: Double?

    @Option(name: .customLong("solve-over"),
            help: "What --target-rate holds: first-step, time-averaged (over --steps) or final-step.")
    var solveOver: SolverHorizon = .timeAveraged

    /// Multi-step layer evaluations: one per layer and scheme, about 20 per layer for the solver (bracket and root).
    func layerEvaluations(depth: Int) -> Int {
        depth * `init`.value.count + (targetRate == nil ? 0 : 20 * depth)
    }

    /// One initialization's prediction: the first step, the multi-step theory (with a progress line `label` on a
    /// terminal: long horizons take minutes) and, with --finite-width, the exact chain.
    func prediction(_ network: Network, label: String, settings: TemporalKernelSettings) throws -> SchemePrediction {
        let progress = network.steps > 2 ? ProgressLine.forTerminal(label: "\(label): layers x replicates") : nil
        defer { progress?.finish() }
        return try SchemePrediction(network, settings: settings, finiteWidth: finiteWidth, progress: progress?.update)
    }

    func validate() throws {
        if let plot { try Figures.checkDestination(plot) }
        try network.validateAll()
        if graph.nir != nil, try network.checkedSteps() > GraphStepsPrediction.maximumSteps {
            throw ModelError.invalid(parameter: "steps", value: "\(network.shared.steps) with --nir",
                                     allowed: "1 to \(GraphStepsPrediction.maximumSteps) for predict --nir (simulate --nir runs "
                                         + "any number)")
        }
        if finiteWidth, let widest = try network.architecture().widths.max(), widest > FiniteWidthChain.widthLimit {
            throw ModelError.invalid(parameter: "finite-width", value: "width \(widest)",
                                     allowed: "layers of at most \(FiniteWidthChain.widthLimit) neurons for the exact "
                                         + "chain; leave out --finite-width for wider layers")
        }
        _ = try temporal.settings(steps: network.checkedSteps(),
                                  layerEvaluations: layerEvaluations(depth: network.architecture().depth))
        try gradient.validatePredict(solve: solve, nir: graph.nir != nil, inits: `init`.value)
        if let targetRate, !(targetRate > 0 && targetRate < 1) {
            throw ModelError.invalid(parameter: "target-rate", value: "\(targetRate)", allowed: "a number in (0, 1)")
        }
    }

    /// The prediction for the solver's scales that hold --target-rate, if given.
    func solvedPrediction(_ network: Network, settings: TemporalKernelSettings) throws -> SchemePrediction? {
        guard let targetRate else { return nil }
        let solved = try InitializationSolver.solve(network, target: .rate(targetRate), horizon: solveOver,
                                                    settings: settings)
        let name = "target-rate:\(Format.exact(targetRate))"
        return try prediction(network.initialized(.variances(solved.weightVariances, name: name)), label: "target-rate",
                              settings: settings)
    }

    /// `p` with its backward mean field: the given surrogate, or the one whose scale --solve finds.
    func withGradient(_ p: SchemePrediction, _ unset: Network, target: Double, settings: TemporalKernelSettings) throws
        -> SchemePrediction
    {
        let network = try unset.initialized(.variances(p.layers.map(\.weightVariance), name: p.scheme))
        var surrogate = try gradient.parsedSurrogate()
        let reset = gradient.resetGradient ?? .detached
        if solve != nil {
            do {
                let scale = try GradientRecursion.criticalScale(network, kind: surrogate.kind,
                                                                amplitude: surrogate.amplitude, resetGradient: reset,
                                                                settings: settings)
                surrogate = try Surrogate(surrogate.kind, scale: scale, amplitude: surrogate.amplitude)
            } catch let error as GradientSolveError {
                throw CommandFailure(message: "\(p.scheme): " + error.description)
            }
        }
        let prediction = try GradientRecursion.propagate(network, firstStep: p.layers, temporal: p.temporal,
                                                         surrogate: surrogate, resetGradient: reset, settings: settings)
        var finite: FiniteWidthGradient?
        if finiteWidth, unset.steps == 1, case .bernoulli = unset.input {
            finite = try GradientRecursion.finiteWidthFirstStep(network, surrogate: surrogate)
        }
        var result = p
        result.gradient = SchemeGradient(prediction: prediction, finiteWidth: finite, solved: solve?.rawValue)
        return result
    }

    func run() throws {
        if let (model, _) = try graph.graph() {
            if try network.checkedSteps() > 1 {
                let prediction = try GraphStepsPrediction(model, input: network.input, steps: network.checkedSteps(),
                                                          samples: graph.neuronSamples, seed: 1,
                                                          threads: GraphStepsPrediction.defaultThreads)
                let report = GraphStepsReport(file: graph.nir!, convention: graph.convention.rawValue, step: graph.dt,
                                              input: network.input, prediction: prediction)
                print(format.text(json: report.json(), csv: report.csv(), table: report.table()), terminator: "")
                return
            }
            let report = GraphPredictReport(file: graph.nir!, convention: graph.convention.rawValue, step: graph.dt,
                                            input: network.input, prediction: GraphPrediction(model, input: network.input))
            print(format.text(json: report.json(), csv: report.csv(), table: report.table()), terminator: "")
            return
        }
        let target = try network.checkedTargetVariance()
        let unset = try network.model()
        let settings = try temporal.settings(steps: unset.steps,
                                             layerEvaluations: layerEvaluations(depth: unset.architecture.depth))
        var predictions = try `init`.value.map { scheme in
            try prediction(unset.initialized(.scheme(scheme, targetVariance: target)).resolved(),
                           label: scheme.description, settings: settings)
        }
        if let solved = try solvedPrediction(unset, settings: settings) {
            predictions.append(solved)
        }
        if gradient.gradients {
            predictions = try predictions.map { try withGradient($0, unset, target: target, settings: settings) }
        }
        let report = PredictReport(architecture: unset.architecture, neuron: unset.neuron, input: unset.input,
                                   steps: unset.steps, targetVariance: target, predictions: predictions)
        if let plot { try Figures.write(Figures.predict(report), to: plot) }
        print(format.text(json: report.json(), csv: report.csv(), table: report.table(allLayers: allLayers)),
              terminator: "")
    }
}
