import ArgumentParser
import Foundation
import SNNModel
import SNNFormats
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
        if output != nil, resume != nil {
            throw ModelError.invalid(parameter: "output", value: output ?? "",
                                     allowed: "no --output with --resume (new networks are appended to the --resume file)")
        }
        try network.validateAll()
        try simulation.validateAll()
        if let targetRate, !(targetRate > 0 && targetRate < 1) {
            throw ModelError.invalid(parameter: "target-rate", value: "\(targetRate)", allowed: "a number in (0, 1)")
        }
        if let weightsFrom, targetRate != nil {
            throw ModelError.invalid(parameter: "weights-from", value: weightsFrom,
                                     allowed: "a file without --target-rate (each sets the weight scales)")
        }
        try TemporalOptions.checkQuasiMonteCarlo(points: qmcPoints, replicates: qmcReplicates)
        if targetRate != nil, solveOn == .theory {
            try TemporalOptions.checkWork(steps: network.checkedSteps(), points: qmcPoints, replicates: qmcReplicates,
                                          layerEvaluations: 20 * network.architecture().depth)
        }
        if solveOn == .sampler {
            try checkSamplerSolver()
        }
    }

    func run() throws {
        let scheme = `init`
        var model = try network.model(.scheme(scheme, targetVariance: network.checkedTargetVariance())).resolved()
        var schemeName = scheme.description
        if let targetRate, solveOn == .sampler {
            let variances = try solveOnSampler(targetRate: targetRate, horizon: solveOver, guess: model)
            schemeName = "target-rate:\(Format.exact(targetRate)) (\(solveOver.rawValue), solved on \(solverNetworks) sampled "
                + "networks of these widths)"
            model = try model.initialized(.variances(variances, name: schemeName))
        } else if let targetRate {
            let variances: [Double]
            do {
                variances = try InitializationSolver.solve(model, target: .rate(targetRate), horizon: solveOver,
                                                           settings: TemporalKernelSettings(points: qmcPoints,
                                                                                            replicates: qmcReplicates))
                    .weightVariances
            } catch let error as SolverError {
                throw CommandFailure(message: error.description)
            }
            schemeName = "target-rate:\(Format.exact(targetRate)) (\(solveOver.rawValue))"
            model = try model.initialized(.variances(variances, name: schemeName))
        }
        if let weightsFrom {
            let architecture = model.architecture
            let (variances, name) = try WeightsFile.variances(
                from: weightsFrom, fanIns: (1...architecture.depth).map { architecture.fanIn(layer: $0) })
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
        let progress = Progress.forTerminal(label: "networks")
        let completed = stream?.completed ?? []
        let statistics = simulation.reduced
            ? ReducedSampler.run(configuration, completed: completed, progress: progress?.update, onNetwork: stream?.append)
            : Simulator.run(configuration, completed: completed, progress: progress?.update, onNetwork: stream?.append)
        progress?.finish()
        try stream?.finish()
        Throughput.report(statistics, resumed: completed.count)
        if let plot {
            let prediction = try VarianceRecursion.firstStep(model)
            try Figures.write(Figures.simulate(statistics, scheme: schemeName, prediction: prediction), to: plot)
        }
        let report = SimulationReport(statistics: statistics, scheme: schemeName,
                                      targetVariance: targetVariance, method: simulation.method.rawValue)
        switch format {
        case .json: print(report.json().rendered())
        case .csv: print(report.csv(), terminator: "")
        case .table: print(report.table(allLayers: allLayers))
        }
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
        let architecture = try network.architecture(), steps = Double(try network.checkedSteps())
        let neurons = (1...architecture.depth).reduce(0.0) { $0 + Double(architecture.width(layer: $1)) }
        let work = Double(solverNetworks) * neurons * (steps + steps * (steps + 1) / 40) * Self.samplerPassesPerLayer
        let minutes = work / Self.samplerWorkPerSecond / 60
        guard minutes <= Self.samplerMinutesLimit else {
            throw ModelError.invalid(
                parameter: "solver-networks", value: "\(solverNetworks)",
                allowed: "fewer solver networks, neurons or steps: the sampler solver would take about "
                    + "\(Format.number(minutes, digits: 2)) minutes (limit \(Format.number(Self.samplerMinutesLimit, digits: 2)))")
        }
    }

    /// The sampler solver's cost: per pass over the R networks, about 1.9 ns x (T + T (T + 1) / 40) per neuron on two
    /// cores (normals and LIF steps, then the current products L z; measured at T = 4, 20 and 64), about 4 passes per
    /// layer (4.1 at width 1000, T = 20; 6 assumed). The limit keeps a run under 10 minutes.
    static let samplerPassesPerLayer = 6.0
    static let samplerWorkPerSecond = 5e8
    static let samplerMinutesLimit = 10.0

    func solveOnSampler(targetRate: Double, horizon: SolverHorizon, guess: Network) throws -> [Double] {
        let architecture = guess.architecture
        let solverConfiguration = try SimulationConfiguration(
            network: guess.initialized(guess.initialization, weightDistribution: .gaussian), batch: 1,
            networks: solverNetworks, seed: simulation.seed, threads: simulation.threads, memoryLimit: .max)
        try SimulationOptions.checkMemory(
            ReducedSampler.solverEstimatedBytes(solverConfiguration), parameter: "solver-networks",
            value: solverNetworks,
            advice: "fewer solver networks or steps: the sampler solver keeps T x T overlap matrices per network,")
        let progress = Progress.forTerminal(label: "solver layers")
        defer { progress?.finish() }
        do {
            let solution = try ReducedSampler.solveWeightVariances(solverConfiguration, targetRate: targetRate,
                                                                   horizon: solveOver, progress: progress?.update)
            let evaluations = solution.evaluations.reduce(0, +)
            FileHandle.standardError.write(Data(("snn-theory: solved \(architecture.depth) layer(s) on "
                + "\(solverNetworks) sampled networks with \(evaluations) sampler passes\n").utf8))
            return solution.weightVariances
        } catch let error as ReducedSampler.SolverFailure {
            throw CommandFailure(message: error.description)
        }
    }
}

/// Where `simulate --target-rate` solves its scales.
enum SolveOn: String, CaseIterable, ExpressibleByArgument {
    case theory, sampler

    init?(argument: String) {
        guard let value: SolveOn = OptionValue.choice(argument, "solve-on", allowed: "theory or sampler") else { return nil }
        self = value
    }
}

/// Options of a simulation run shared by `simulate` and `compare`.
struct SimulationOptions: ParsableArguments {
    @Option(help: "Independent inputs per network, sharing its weights (B >= 1; default 16, or 1 with --method reduced).")
    var batch: Int?

    @Option(help: "full: simulate the network with its weight matrices; reduced: the exact reduced sampler (Gaussian weights, one input per network, O(n T^2) per layer).")
    var method: SimulationMethod = .full

    var reduced: Bool { method == .reduced }
    var effectiveBatch: Int { batch ?? (reduced ? 1 : 16) }

    @Option(help: "Independent networks (weight draws) R >= 1; standard errors need R >= 2.")
    var networks: Int = 10

    @Option(help: "Seed of every random draw (weights and inputs).")
    var seed: UInt64 = 1

    @Option(help: "Worker threads (results do not depend on it).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Weight distribution: gaussian or uniform (default: the initialization's own, uniform for pytorch; gaussian for solved or loaded scales).")
    var weights: WeightDistribution?

    /// --weights, else `natural` (the scheme's own, or Gaussian for scales solved or loaded from a file), and
    /// Gaussian for the reduced sampler.
    func distribution(natural: WeightDistribution) -> WeightDistribution {
        weights ?? (reduced ? .gaussian : natural)
    }

    func validateAll() throws {
        if reduced, effectiveBatch != 1 {
            throw ModelError.invalid(parameter: "batch", value: "\(effectiveBatch)",
                                     allowed: "1 with --method reduced (the sampler is exact for one input per network)")
        }
        if reduced, weights == .uniform {
            throw ModelError.invalid(parameter: "weights", value: "uniform",
                                     allowed: "gaussian with --method reduced (exact for Gaussian weights only)")
        }
        guard effectiveBatch >= 1, effectiveBatch <= SimulationConfiguration.maximumBatch else {
            throw ModelError.invalid(parameter: "batch", value: "\(effectiveBatch)",
                                     allowed: "an integer from 1 to \(SimulationConfiguration.maximumBatch)")
        }
        guard networks >= 1, networks <= SimulationConfiguration.maximumNetworks else {
            throw ModelError.invalid(parameter: "networks", value: "\(networks)",
                                     allowed: "an integer from 1 to \(SimulationConfiguration.maximumNetworks)")
        }
        guard threads >= 1, threads <= SimulationConfiguration.maximumThreads else {
            throw ModelError.invalid(parameter: "threads", value: "\(threads)",
                                     allowed: "an integer from 1 to \(SimulationConfiguration.maximumThreads)")
        }
    }

    /// The run of `network` (its variances given per layer, its weight distribution chosen).
    func configuration(_ network: Network) throws -> SimulationConfiguration {
        let c: SimulationConfiguration
        do {
            c = try SimulationConfiguration(
                network: network, batch: effectiveBatch, networks: networks, seed: seed, threads: threads,
                // The reduced sampler never builds a weight matrix: its memory has its own estimate, checked below.
                memoryLimit: reduced ? .max : nil)
        } catch let error as SimulationError {
            throw CommandFailure(message: "memory: " + error.description)
        }
        if reduced { try Self.checkReducedMemory(c) }
        return c
    }

    /// The reduced sampler's memory guard: no weight matrix, but its kept results (48 bytes per network, layer and
    /// step) and per-thread buffers, against the same limit as the full simulator's.
    static func checkReducedMemory(_ c: SimulationConfiguration) throws {
        try checkMemory(ReducedSampler.estimatedBytes(c), parameter: "networks", value: c.networks,
                        advice: "fewer networks, layers or steps with --method reduced: its results (48 bytes per "
                            + "network, layer and step) need")
    }

    /// Refuses `needed` bytes above the memory limit: "`advice` about X GB, more than the limit of Y GB".
    static func checkMemory(_ needed: Int, parameter: String, value: Int, advice: String) throws {
        let limit = SimulationConfiguration.defaultMemoryLimit
        guard needed <= limit else {
            throw ModelError.invalid(
                parameter: parameter, value: "\(value)",
                allowed: advice + " about \(Format.number(Double(needed) / 1e9, digits: 3)) GB, more than the limit of "
                    + "\(Format.number(Double(limit) / 1e9, digits: 3)) GB")
        }
    }
}

/// Seconds and synaptic events per second, on stderr: timings never enter the results.
enum Throughput {
    static func report(_ s: SimulationStatistics, resumed: Int = 0) {
        let line = String(format: "snn-theory: simulated %d network(s) in %.3f s: %.3g synaptic events/s (%.3g events)",
                          s.configuration.networks - resumed, s.elapsedSeconds, s.synapticEventsPerSecond,
                          s.synapticEvents) + (resumed > 0 ? "; \(resumed) taken from the resumed file\n" : "\n")
        FileHandle.standardError.write(Data(line.utf8))
    }
}

/// A progress line on stderr, only when stderr is a terminal (never in pipes, files or CI logs).
final class Progress: @unchecked Sendable {
    private let label: String
    private let lock = NSLock()
    private var lastPrinted = Date.distantPast

    private init(label: String) { self.label = label }

    static func forTerminal(label: String) -> Progress? {
        isatty(STDERR_FILENO) == 1 ? Progress(label: label) : nil
    }

    func update(_ done: Int, _ total: Int) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard done == total || now.timeIntervalSince(lastPrinted) > 0.2 else { return }
        lastPrinted = now
        FileHandle.standardError.write(Data("\r\(label): \(done)/\(total)   ".utf8))
    }

    func message(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
    }

    func finish() {
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

/// Empirical statistics in the same shapes as `predict`'s.
struct SimulationReport {
    let statistics: SimulationStatistics
    let scheme: String
    let targetVariance: Double
    let method: String

    var c: SimulationConfiguration { statistics.configuration }

    /// Every parameter that determines the result (the thread count does not, so it is left out).
    var modelFields: [(String, JSON)] {
        Self.modelFields(c, scheme: scheme, targetVariance: targetVariance, method: method)
    }

    static func modelFields(_ c: SimulationConfiguration, scheme: String, targetVariance: Double, method: String)
        -> [(String, JSON)]
    {
        [
            ("tool", .string("snn-theory")),
            ("version", .string(SNNTheoryCommand.version)),
            ("command", .string("simulate")),
            ("depth", .integer(c.architecture.depth)),
            ("widths", .array(c.architecture.widths.map { .integer($0) })),
            ("theta", .number(c.neuron.threshold)),
            ("beta", .number(c.neuron.leak)),
            ("reset", .string(c.neuron.reset.rawValue)),
            ("steps", .integer(c.steps)),
            ("input", .string(c.input.description)),
            ("init", .string(scheme)),
            ("target_variance", .number(targetVariance)),
            ("weights", .string(c.weightDistribution.rawValue)),
            ("method", .string(method)),
            ("batch", .integer(c.batch)),
            ("networks", .integer(c.networks)),
            ("seed", .integer(Int(truncatingIfNeeded: c.seed))),
            ("conventions", .string(c.neuron.conventions)),
        ]
    }

    static func stepJSON(_ s: StepStatistics) -> [(String, JSON)] {
        [
            ("membrane_mean", .number(s.membraneMean.mean)),
            ("membrane_mean_stderr", .finite(s.membraneMean.standardError)),
            ("membrane_variance", .number(s.membraneVariance.mean)),
            ("membrane_variance_stderr", .finite(s.membraneVariance.standardError)),
            ("rate", .number(s.rate.mean)),
            ("rate_stderr", .finite(s.rate.standardError)),
        ]
    }

    func layerJSON(_ l: LayerStatistics) -> JSON {
        var fields: [(String, JSON)] = [
            ("layer", .integer(l.layer)),
            ("fan_in", .integer(c.architecture.fanIn(layer: l.layer))),
            ("width", .integer(c.architecture.width(layer: l.layer))),
            ("weight_variance", .number(c.weightVariances[l.layer - 1])),
        ]
        fields += Self.stepJSON(l.steps[0])
        fields.append(("silent_fraction", .number(l.silentFraction)))
        fields.append(("silent_fraction_stderr", .finite(l.silentFractionStandardError)))
        if c.steps > 1 {
            let averaged = statistics.timeAveragedRate(layer: l.layer)
            fields.append(("time_averaged_rate", .number(averaged.mean)))
            fields.append(("time_averaged_rate_stderr", .finite(averaged.standardError)))
            fields.append(("steps", .array(l.steps.map { s in .object([("t", .integer(s.step))] + Self.stepJSON(s)) })))
        }
        return .object(fields)
    }

    func json() -> JSON {
        .object([
            ("model", .object(modelFields)),
            ("layers", .array(statistics.layers.map(layerJSON))),
        ])
    }

    func csv() -> String {
        var lines = [
            "# snn-theory \(SNNTheoryCommand.version) simulate: empirical statistics over \(c.networks) network(s) x \(c.batch) input(s)",
            "# " + modelFields.map { "\($0.0)=\($0.1.rendered(pretty: false))" }.joined(separator: " "),
        ]
        lines.append("layer,t,fan_in,width,weight_variance,membrane_mean,membrane_mean_stderr,membrane_variance,"
            + "membrane_variance_stderr,rate,rate_stderr,silent_fraction,silent_fraction_stderr")
        for l in statistics.layers {
            for s in l.steps {
                lines.append([
                    "\(l.layer)", "\(s.step)", "\(c.architecture.fanIn(layer: l.layer))",
                    "\(c.architecture.width(layer: l.layer))", Format.exact(c.weightVariances[l.layer - 1]),
                    Format.exact(s.membraneMean.mean), Format.exact(s.membraneMean.standardError),
                    Format.exact(s.membraneVariance.mean), Format.exact(s.membraneVariance.standardError),
                    Format.exact(s.rate.mean), Format.exact(s.rate.standardError),
                    Format.exact(l.silentFraction), Format.exact(l.silentFractionStandardError),
                ].joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func withError(_ e: Estimate, digits: Int = 4) -> String {
        guard let se = e.standardError else { return Format.number(e.mean, digits: digits) }
        return Format.number(e.mean, digits: digits) + " ± " + Format.number(se, digits: 2)
    }

    func table(allLayers: Bool) -> String {
        let depth = c.architecture.depth
        var shown = Array(1...depth)
        if !allLayers && depth > 20 {
            let step = depth <= 200 ? 10 : depth <= 2000 ? 100 : 1000
            shown = Array(1...5) + Array(stride(from: step, through: depth, by: step))
            if shown.last != depth { shown.append(depth) }
        }
        let last = c.steps
        var header = ["layer", "Var[u] t=1", "rate t=1"]
        if last > 1 { header += ["rate t=\(last)", "Var[u] t=\(last)", "rate t=1..\(last)"] }
        header.append("silent nets")
        let rows = shown.map { i -> [String] in
            let l = statistics.layers[i - 1]
            var row = ["\(i)", Self.withError(l.steps[0].membraneVariance), Self.withError(l.steps[0].rate)]
            if last > 1 {
                row += [Self.withError(l.steps[last - 1].rate), Self.withError(l.steps[last - 1].membraneVariance),
                        Self.withError(statistics.timeAveragedRate(layer: i))]
            }
            row.append("\(l.silentNetworks)/\(c.networks)")
            return row
        }
        let header0 = [
            "snn-theory \(SNNTheoryCommand.version) simulate (\(method == "reduced" ? "exact reduced sampler" : "full network")): \(c.networks) network(s) x \(c.batch) input(s), \(c.steps) step(s), seed \(c.seed)",
            "network: \(depth) layer\(depth == 1 ? "" : "s"), widths \(c.architecture.widths.dropFirst().allSatisfy { $0 == c.architecture.widths[1] } ? "\(c.architecture.widths[1]) (input \(c.architecture.widths[0]))" : c.architecture.widths.map(String.init).joined(separator: ",")); input \(c.input)",
            "neuron: theta \(Format.number(c.neuron.threshold)), beta \(Format.number(c.neuron.leak)), reset \(c.neuron.reset.rawValue); \(c.neuron.conventions)",
            "init: \(scheme), \(c.weightDistribution.rawValue) weights; values are means over networks ± standard error",
        ]
        return (header0 + ["", Format.table(header: header, rows: rows)]).joined(separator: "\n")
    }
}
