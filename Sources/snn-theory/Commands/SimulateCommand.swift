import ArgumentParser
import Foundation
import SNNModel
import SNNFormats
import SNNReports
import SNNSimulator
import SNNTheory
import SNNVerification

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run the real network and report empirical per-layer statistics with standard errors.",
        discussion: """
        Draws R independent networks (weights from the chosen initialization), feeds each a batch of B inputs for T \
        time steps, and reports per layer and step the membrane mean and variance (before reset), the spike rate, \
        their standard errors across networks, and the fraction of networks in which the layer never spiked. \
        Results depend on --seed only, not on --threads. Throughput goes to stderr. With --output FILE each finished \
        network is appended to FILE as one JSON line (written whole and fsynced); after an interruption, --resume FILE takes the \
        networks already there and simulates the rest, with the same final result as an uninterrupted run.

        --target-rate R simulates per-layer scales solved to hold the rate R (--solve-over): on the multi-step \
        theory (--solve-on theory: infinitely wide layers, so at finite width the rate drifts with depth), or on \
        --solver-networks networks of these widths sampled with the exact reduced sampler (--solve-on sampler: the \
        expected rate at this width, for Gaussian weights; the solver's networks are independent of the simulated \
        ones, so the output checks the solution). The solved Var[w_l] are in the JSON and CSV output; the JSON \
        file works as --weights-from for later runs.

        Examples:
          snn-theory simulate --depth 100 --width 1000 --init paper --networks 20 --batch 16
          snn-theory simulate --depth 10 --steps 20 --beta 0.5 --init paper-reset --format json
          snn-theory simulate --width 4096 --networks 200 --output run.jsonl   (then, if stopped: --resume run.jsonl)
          snn-theory simulate --depth 50 --steps 20 --beta 0.5 --target-rate 0.1 --solve-on sampler --method reduced
        """
    )

    @OptionGroup var network: SingleNetworkOptions
    @OptionGroup var simulation: SimulationOptions
    @OptionGroup var backward: GradientOptions
    @OptionGroup(title: "Your own network (a NIR file)") var graph: GraphOptions

    @Option(name: .customLong("input-file"),
            help: ArgumentHelp("With --nir: the input as a .npy array, [batch, steps, input shape...] or [batch, input shape...] (its batch replaces --batch).",
                               valueName: "x.npy"))
    var inputFile: String?

    @Option(help: ArgumentHelp("Initialization: \(InitScheme.allowedNames).", valueName: "scheme"))
    var `init`: InitScheme = .paper

    @Option(name: .customLong("target-rate"),
            help: "Use the solver's per-layer weight scales that hold this rate (up to about 0.5) instead of --init's.")
    var targetRate: Double?

    @Option(name: .customLong("solve-over"), help: "What --target-rate holds: first-step, time-averaged or final-step.")
    var solveOver: SolverHorizon = .timeAveraged

    @Option(name: .customLong("solve-on"),
            help: ArgumentHelp("Where --target-rate's scales are solved: theory (the multi-step mean field, infinitely wide layers) or sampler (the exact reduced sampler at these widths: the mean rate over --solver-networks networks).",
                               valueName: "theory|sampler"))
    var solveOn: SolveOn = .theory

    @Option(name: .customLong("solver-networks"),
            help: "Networks the sampler solver averages over (with --solve-on sampler; independent of the simulated ones).")
    var solverNetworks: Int = 64

    @Option(name: .customLong("weights-from"),
            help: ArgumentHelp("Take Var[w_l] from a `predict` or `simulate` --format json file (predict: its last initialization), e.g. a solver's scales.",
                               valueName: "file.json"))
    var weightsFrom: String?

    @Option(name: .customLong("qmc-points"),
            help: "The solver's quasi-Monte Carlo points per replicate (with --target-rate and --steps > 2).")
    var qmcPoints: Int = 4096

    @Option(name: .customLong("qmc-replicates"), help: "The solver's independent randomizations.")
    var qmcReplicates: Int = 8

    @Option(help: ArgumentHelp("Write each finished network to FILE (new or empty) as one JSON line, as it finishes.",
                               valueName: "file.jsonl"))
    var output: String?

    @Option(help: ArgumentHelp("Continue the run recorded in FILE: its networks are kept, the rest simulated and appended.",
                               valueName: "file.jsonl"))
    var resume: String?

    @Option(help: "Output: table (for people), csv or json (for scripts).")
    var format: OutputFormat = .table

    @Flag(name: .customLong("all-layers"), help: "Show every layer in the table (default: a selection when L > 20).")
    var allLayers = false

    @Option(help: ArgumentHelp("Also write an SVG figure: variance and rate against depth with error bars.",
                               valueName: "file.svg"))
    var plot: String?

    func validate() throws {
        if let plot { try Figures.checkDestination(plot) }
        try GraphRun.checkOptions(nir: graph.nir, inputFile: inputFile,
                                  unsupported: [("output", output), ("resume", resume), ("weights-from", weightsFrom),
                                                ("target-rate", targetRate.map { "\($0)" }), ("gradients", backward.gradients ? "on" : nil)])
        if output != nil, resume != nil {
            throw ModelError.invalid(parameter: "output", value: output ?? "",
                                     allowed: "no --output with --resume (new networks are appended to the --resume file)")
        }
        try network.validateAll()
        try simulation.validateAll()
        try backward.validate(simulation, writesRecords: output != nil || resume != nil)
        if let targetRate, !(targetRate > 0 && targetRate < 1) {
            throw ModelError.invalid(parameter: "target-rate", value: "\(targetRate)", allowed: "a number in (0, 1)")
        }
        if let weightsFrom, targetRate != nil {
            throw ModelError.invalid(parameter: "weights-from", value: weightsFrom,
                                     allowed: "a file without --target-rate (each sets the weight scales)")
        }
        try TemporalKernelSettings.checkQuasiMonteCarlo(points: qmcPoints, replicates: qmcReplicates)
        if targetRate != nil, solveOn == .theory {
            try TemporalKernelSettings.checkWork(steps: network.checkedSteps(), points: qmcPoints, replicates: qmcReplicates,
                                          layerEvaluations: 20 * network.architecture().depth)
        }
        if solveOn == .sampler {
            try checkSamplerSolver()
        }
    }

    func run() throws {
        if graph.nir != nil {
            let report = try GraphRun(graph: graph, input: network.input, inputFile: inputFile, steps: network.checkedSteps(),
                                      batch: simulation.batch ?? 64, seed: simulation.seed, threads: simulation.threads)
                .report(compare: false)
            if let plot { try Figures.write(report.figure(), to: plot) }
            print(format.text(json: report.json(), csv: report.csv(), table: report.table()), terminator: "")
            return
        }
        let scheme = `init`
        var model = try network.model(.scheme(scheme, targetVariance: network.checkedTargetVariance())).resolved()
        var schemeName = scheme.description
        if let targetRate, solveOn == .sampler {
            let variances = try solveOnSampler(targetRate: targetRate, horizon: solveOver, guess: model)
            schemeName = "target-rate:\(Format.exact(targetRate)) (\(solveOver.rawValue), solved on \(solverNetworks) sampled "
                + "networks of these widths)"
            model = try model.initialized(.variances(variances, name: schemeName))
        } else if let targetRate {
            let variances = try InitializationSolver.solve(
                model, target: .rate(targetRate), horizon: solveOver,
                settings: TemporalKernelSettings(points: qmcPoints, replicates: qmcReplicates)).weightVariances
            schemeName = "target-rate:\(Format.exact(targetRate)) (\(solveOver.rawValue))"
            model = try model.initialized(.variances(variances, name: schemeName))
        }
        if let weightsFrom {
            let (variances, name) = try WeightsFile.variances(from: weightsFrom, architecture: model.architecture)
            schemeName = name
            model = try model.initialized(.variances(variances, name: schemeName))
        }
        // Scales solved by --target-rate or read by --weights-from are for Gaussian weights, whatever --init says.
        let natural = targetRate != nil || weightsFrom != nil ? .gaussian : scheme.naturalDistribution
        model = try model.initialized(model.initialization, weightDistribution: simulation.distribution(natural: natural))
        let configuration = try simulation.configuration(model)
        let targetVariance = try network.checkedTargetVariance()
        let stream = try NetworkStream.open(output: output, resume: resume,
                                            model: SimulationReport.modelFields(configuration, scheme: schemeName,
                                                                                targetVariance: targetVariance,
                                                                                method: simulation.method.rawValue),
                                            configuration: configuration)
        let progress = ProgressLine.forTerminal(label: "networks")
        let completed = stream?.completed ?? []
        let run = try backward.configuration(configuration).map { Simulator.run($0, progress: progress?.update) }
        let statistics = run?.statistics ?? (simulation.reduced
            ? ReducedSampler.run(configuration, completed: completed, progress: progress?.update, onNetwork: stream?.append)
            : Simulator.run(configuration, completed: completed, progress: progress?.update, onNetwork: stream?.append))
        progress?.finish()
        try stream?.finish()
        FileHandle.standardError.write(Data(Throughput.line(statistics, resumed: completed.count).utf8))
        if let plot {
            let prediction = try VarianceRecursion.firstStep(model)
            try Figures.write(Figures.simulate(statistics, scheme: schemeName, prediction: prediction), to: plot)
        }
        let report = SimulationReport(statistics: statistics, scheme: schemeName,
                                      targetVariance: targetVariance, method: simulation.method.rawValue)
        print(report.text(format, allLayers: allLayers, gradients: run?.gradients), terminator: "")
    }
}

extension SimulateCommand {
    /// The sampler solver's inputs: a target rate, Gaussian weights, a number of networks, and work within the guard.
    func checkSamplerSolver() throws {
        guard targetRate != nil else {
            throw ModelError.invalid(parameter: "solve-on", value: solveOn.rawValue,
                                     allowed: "theory, or sampler together with --target-rate R")
        }
        if simulation.weights == .uniform {
            throw ModelError.invalid(parameter: "weights", value: "uniform",
                                     allowed: "gaussian with --solve-on sampler (the sampler is exact for Gaussian weights)")
        }
        guard solverNetworks >= 2, solverNetworks <= SimulationConfiguration.maximumNetworks else {
            throw ModelError.invalid(parameter: "solver-networks", value: "\(solverNetworks)",
                                     allowed: "an integer from 2 to \(SimulationConfiguration.maximumNetworks)")
        }
        let minutes = ReducedSampler.solverMinutes(architecture: try network.architecture(),
                                                   steps: try network.checkedSteps(), networks: solverNetworks)
        guard minutes <= ReducedSampler.solverMinutesLimit else {
            throw ModelError.invalid(
                parameter: "solver-networks", value: "\(solverNetworks)",
                allowed: "fewer solver networks, neurons or steps: the sampler solver would take about "
                    + "\(Format.number(minutes, digits: 2)) minutes (limit \(Format.number(ReducedSampler.solverMinutesLimit, digits: 2)))")
        }
    }

    func solveOnSampler(targetRate: Double, horizon: SolverHorizon, guess: Network) throws -> [Double] {
        let architecture = guess.architecture
        let solverConfiguration = try ReducedSampler.solverConfiguration(
            guess, networks: solverNetworks, seed: simulation.seed, threads: simulation.threads)
        try SimulationOptions.checkMemory(
            ReducedSampler.solverEstimatedBytes(solverConfiguration), parameter: "solver-networks",
            value: solverNetworks,
            advice: "fewer solver networks or steps: the sampler solver keeps T x T overlap matrices per network,")
        let progress = ProgressLine.forTerminal(label: "solver layers")
        defer { progress?.finish() }
        let solution = try ReducedSampler.solveWeightVariances(solverConfiguration, targetRate: targetRate,
                                                               horizon: solveOver, progress: progress?.update)
        FileHandle.standardError.write(Data(("snn-theory: solved \(architecture.depth) layer(s) on "
            + "\(solverNetworks) sampled networks with \(solution.evaluations.reduce(0, +)) sampler passes\n").utf8))
        return solution.weightVariances
    }
}
