import ArgumentParser
import Dispatch
import Foundation
import SNNFormats
import SNNModel
import SNNReports
import SNNSimulator
import SNNTheory
import SNNVerification

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Does the theory hold for my widths and thresholds? Simulate each cell and report the deviations.",
        discussion: """
        For every width x theta (x beta x init) cell: the mean-field prediction, the exact finite-width prediction of \
        the first step, and a simulation of the real network, compared layer by layer at t = 1. A layer agrees when \
        the measured rate is within --tolerance (relative) plus 3 standard errors of the mean field and at most 1% of \
        the networks are silent there; each cell gets a verdict saying to which depth the theory holds and why it \
        breaks (an unstable fixed point, activity fading in the mean field itself, or silence at too narrow a width).

        Several time steps (--steps T > 1). Each layer also compares the rate averaged over t = 1..T: the mean over \
        networks of each network's time-averaged rate, its standard error and its spread (standard deviation across \
        networks), against the multi-step mean field's time-averaged rate and its reported error (quasi-Monte Carlo: \
        --qmc-points, --qmc-replicates). The verdict adds the time-averaged rate at the last layer, its relative \
        deviation, and the first layer from which the simulation stays outside --tolerance + 3 combined standard \
        errors; when the t = 1 comparison still holds there, that is a finite-width drift of the multi-step dynamics. \
        --inits target-rate:R uses the solver's per-layer scales that hold the time-averaged rate R in (0, 1) at every \
        layer (over --steps; the first step when T = 1, where R must be below 0.5), solved once per cell, with \
        Gaussian weights. --method reduced samples the networks with the exact reduced sampler (Gaussian weights, \
        --batch 1): no weight matrix, O(n T^2) work per layer, for wide layers.

        Sweeps that survive. Each cell's seed is derived from --seed and the cell itself (width, theta, beta, init), \
        so a cell's result does not depend on which other cells run, in which order, or in which process. With \
        --output FILE (or --resume FILE) each finished cell is appended to FILE as one JSON line holding the sweep's \
        settings and the cell (written in one call and fsynced; FILE is locked against a second writer). Ctrl-C or \
        SIGTERM prints the cells finished so far (exit 130 or 143). --resume FILE continues the sweep recorded in FILE \
        (or starts it, if FILE does not exist): cells already there are skipped, a last line cut short by a kill is \
        dropped with a warning, and a file written with other settings is refused. The printed result is the same, \
        byte for byte, as that of one uninterrupted run.

        --shard I/N runs only cells I, I+N, I+2N, ... of the sweep (1 <= I <= N); `snn-theory merge` joins the shards' \
        files into the output of the whole sweep.

        Gradients (--gradients, --surrogate NAME[:SCALE], --reset-grad detached|attached). Each cell's backward pass \
        (L = sum_t g^T s_L[t], g a fixed standard-normal readout) is simulated over --networks networks and compared \
        layer by layer with the backward mean field of THEORY.md section 10: Var[delta_l] pooled over the steps and \
        the per-item weight-gradient variance, each relative to the last layer, with the first step's finite-width \
        correction where it applies (T = 1, Bernoulli input). A layer agrees within 4 standard errors; the verdict \
        says how far the simulated gradients vanish or explode and where the theory stops following them. --plot \
        draws Var[delta_l] / Var[delta_L] against depth per cell. Fixed initializations only; no --output, --resume \
        or --shard.

        Examples:
          snn-theory compare --widths 100,300,1000 --thetas 0.5,1,2 --depth 100
          snn-theory compare --thetas 1 --inits paper,kaiming --resume cells.jsonl
          snn-theory compare --widths 1000,20000 --thetas 1 --depth 50 --steps 20 --betas 0.5 --inits target-rate:0.1 --method reduced
          snn-theory compare --shard 2/4 --resume shard-2.jsonl --quiet
          snn-theory merge shard-*.jsonl --format json
          snn-theory compare --gradients --surrogate atan:2 --widths 100,300,1000 --thetas 1 --depth 20 --networks 200 --plot grads.svg
        """
    )

    @OptionGroup var network: NetworkOptions
    @OptionGroup(title: "Gradients: the backward mean field against the simulator's backward pass") var backward: GradientOptions
    @OptionGroup(title: "Your own network (a NIR file): its first step predicted and simulated, layer by layer") var graph: GraphOptions

    @Option(name: .customLong("input-file"),
            help: ArgumentHelp("With --nir: the input as a .npy array (the prediction takes --input's law).", valueName: "x.npy"))
    var inputFile: String?

    @Option(help: ArgumentHelp("Layer widths to sweep, comma-separated.", valueName: "n,n,..."))
    var widths: Parsed<SweepWidths> = "100,300,1000"

    @Option(help: ArgumentHelp("Thresholds to sweep, comma-separated.", valueName: "theta,..."))
    var thetas: Parsed<SweepThetas> = "0.5,1,2"

    @Option(help: ArgumentHelp("Leaks to sweep, comma-separated.", valueName: "beta,..."))
    var betas: Parsed<SweepBetas> = "0.9"

    @Option(help: ArgumentHelp("Initializations to sweep, comma-separated: \(CellInitialization.allowedNames).",
                               valueName: "scheme,..."))
    var inits: Parsed<SweepInits> = "paper"

    @Option(help: "Inputs per network (the finite-width silent probability is for one input).")
    var batch: Int = 1

    @Option(help: "Independent networks per cell (at least 2: the verdicts need standard errors).")
    var networks: Int = 40

    @Option(help: "Seed of every random draw (each cell gets its own seed, derived from this one and the cell).")
    var seed: UInt64 = 1

    @Option(help: "Worker threads (results do not depend on it).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Weight distribution: gaussian or uniform (default: each initialization's own).")
    var weights: WeightDistribution?

    @Option(help: "full: simulate the networks with their weight matrices; reduced: the exact reduced sampler (Gaussian weights, --batch 1, O(n T^2) per layer).")
    var method: SimulationMethod = .full

    @Option(name: .customLong("qmc-points"),
            help: "Quasi-Monte Carlo points per replicate of the multi-step mean field and solver (--steps > 2).")
    var qmcPoints: Int = 4096

    @Option(name: .customLong("qmc-replicates"),
            help: "Their independent randomizations (2 to 256); the spread is the mean field's reported error.")
    var qmcReplicates: Int = 8

    @Option(help: "Relative rate tolerance of a layer, in (0, 1).")
    var tolerance: Double = 0.05

    @Option(help: "Output: table (summary for people), csv (one row per cell and layer) or json.")
    var format: OutputFormat = .table

    @Option(help: ArgumentHelp("Append each finished cell to this new (or empty) file as one JSON line (fsynced).",
                               valueName: "file.jsonl"))
    var output: String?

    @Option(help: ArgumentHelp("Continue the sweep recorded in this file (created if missing): skip its cells, append new ones.",
                               valueName: "file.jsonl"))
    var resume: String?

    @Option(help: ArgumentHelp("Run only slice I of N of the sweep: cells I, I+N, I+2N, ... (join with `merge`).",
                               valueName: "I/N"))
    var shard: Shard?

    @Flag(help: "No progress and no summary on stderr (warnings and errors still).")
    var quiet = false

    @Flag(help: "One line per finished cell on stderr, also when it is not a terminal.")
    var verbose = false

    @Option(help: ArgumentHelp("Also write an SVG figure: heat map of the depth to which the mean field holds, and per-cell rate profiles.",
                               valueName: "file.svg"))
    var plot: String?

    func plan() throws -> SweepPlan {
        let cells = SweepPlan.cells(widths: widths.value, thetas: thetas.value, betas: betas.value, inits: inits.value)
        let settings = try SweepSettings(
            depth: network.depth, inputSize: network.inputSize, reset: network.reset, steps: network.steps,
            input: network.input, targetVariance: network.targetVariance, batch: batch, networks: networks, seed: seed,
            threads: threads, weights: weights, tolerance: tolerance, method: method,
            meanField: TemporalKernelSettings(points: qmcPoints, replicates: qmcReplicates))
        let targetRates = try SweepPlan.targetRates(of: cells, steps: settings.steps)
        try settings.checkMeanFieldWork(solving: !targetRates.isEmpty)
        if quiet && verbose {
            throw ModelError.invalid(parameter: "quiet", value: "--quiet --verbose",
                                     allowed: "at most one of --quiet and --verbose")
        }
        if let output, let resume, output != resume {
            throw ModelError.invalid(parameter: "output", value: output,
                                     allowed: "no --output with --resume (new cells are appended to the --resume file)")
        }
        let plan = try SweepPlan(cells: cells, settings: settings, shard: shard ?? .whole)
        if let plot { try Figures.checkDestination(plot) }
        // Refuse a sweep whose largest cell would not fit in memory, before any work, as the simulator would refuse
        // it; the reduced sampler keeps no weight matrix, and its own estimate goes against the same limit.
        let needed = plan.largestCellBytes, limit = SimulationConfiguration.defaultMemoryLimit
        if method == .reduced {
            try SimulationOptions.checkReducedMemory(bytes: needed, networks: networks)
        } else if needed > limit {
            throw SimulationError.insufficientMemory(estimatedBytes: needed, limitBytes: limit)
        }
        return plan
    }

    func validate() throws {
        try checkGradientOptions()
        try GraphRun.checkOptions(nir: graph.nir, inputFile: inputFile,
                                  unsupported: [("output", output), ("resume", resume), ("shard", shard.map { "\($0)" })])
        do { _ = try plan() } catch let error as SimulationError { throw ValidationError("memory: " + error.description) }
    }

    func note(_ text: String) {
        FileHandle.standardError.write(Data("snn-theory: \(text)\n".utf8))
    }

    /// The sweep of `--resume FILE`, `--output FILE` or neither, its file's failures worded for the option.
    func open(_ plan: SweepPlan, header: JSON) throws -> SweepRunner {
        let option = resume != nil ? "resume" : "output"
        do {
            if let resume { return try SweepRunner(plan: plan, header: header, resuming: resume) }
            return try SweepRunner(plan: plan, header: header, output: output)
        } catch let failure as JSONLinesFile.Failure {
            throw CommandFailure(failure, parameter: option)
        } catch let CellFileError.notEmpty(file) {
            throw CommandFailure(message: "output: '\(file)' already holds cells; continue that sweep with --resume "
                + "\(file), or choose another file")
        } catch let error as CellFileError {
            throw CommandFailure(message: "\(option): \(error)")
        }
    }

    func run() throws {
        if graph.nir != nil {
            let report = try GraphRun(graph: graph, input: network.input, inputFile: inputFile,
                                      steps: Network.checkedSteps(network.steps), batch: batch == 1 ? 256 : batch,
                                      seed: seed, threads: threads).report(compare: true)
            if let plot { try Figures.write(report.figure(), to: plot) }
            print(format.text(json: report.json(), csv: report.csv(), table: report.table()), terminator: "")
            return
        }
        let plan: SweepPlan
        do { plan = try self.plan() } catch let error as SimulationError {
            throw CommandFailure(message: "memory: " + error.description)
        }
        if backward.gradients { return try runGradients(plan) }
        let header = SweepHeader.make(plan.settings, widths: widths.text, thetas: thetas.text, betas: betas.text,
                                      inits: inits.text, version: SNNTheoryCommand.version)
        let sweep = try open(plan, header: header)
        for warning in sweep.warnings { note(warning) }
        let mine = sweep.positions, todo = sweep.todo
        if verbose {
            let slice = plan.shard == .whole ? "" : ", shard \(plan.shard.index + 1)/\(plan.shard.count) holds \(mine.count)"
            let resumedFrom = resume.map { ", \(mine.count - todo.count) already in '\($0)'" } ?? ""
            note("sweep of \(plan.cells.count) cells\(slice)\(resumedFrom), \(todo.count) to run")
        }
        let progress = quiet ? nil : ProgressLine.forTerminal(label: "cells")
        let tolerance = plan.settings.tolerance, version = SNNTheoryCommand.version
        // Ctrl-C, or SIGTERM from a batch system: print what is finished, then exit. The file already holds it all.
        var sources: [DispatchSourceSignal] = []
        for (signalNumber, code) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [format] in
                sweep.stop { cells in
                    progress?.finish()
                    print(CompareReport(model: header, cells: cells, tolerance: tolerance, version: version).render(format))
                    FileHandle.standardError.write(Data(("snn-theory: interrupted with \(cells.count) of "
                        + "\(mine.count) cells finished\n").utf8))
                    // fflush, then _exit rather than exit: the main thread is still simulating, and exit's clean-up
                    // (atexit handlers, stdio teardown) would race with it.
                    fflush(nil)  // every output stream, stdout included
                    _exit(code)
                }
            }
            source.resume()
            sources.append(source)
        }
        let start = Date()
        for (k, position) in todo.enumerated() {
            let cell = plan.cells[position]
            progress?.message("cell \(k + 1)/\(todo.count) (\(cell))")
            let cellStart = Date()
            let result: CellComparison
            do { result = try sweep.run(position) } catch let error as SolverError {
                throw CommandFailure(message: "inits: \(error) (cell \(cell))")
            } catch let error as TemporalKernelError {
                throw CommandFailure(message: "internal: the multi-step mean field of cell (\(cell)) failed: "
                    + error.description, code: 70)
            } catch let error as CellRecord.Malformed {
                throw CommandFailure(message: "internal: the record of cell (\(cell)) does not read back: "
                    + error.reason, code: 70)
            }
            if verbose {
                progress?.finish()
                note("cell \(k + 1)/\(todo.count) (\(cell)) in "
                    + String(format: "%.1f s: ", Date().timeIntervalSince(cellStart)) + result.verdict)
            }
        }
        for source in sources { source.cancel() }
        progress?.finish()
        let cells = sweep.finished()
        if let plot { try Figures.write(Figures.compare(cells), to: plot) }
        if !quiet {
            note(String(format: "%d cells in %.1f s", todo.count, Date().timeIntervalSince(start))
                + (todo.count == mine.count ? "" : " (\(mine.count - todo.count) more from '\(resume ?? "")')"))
        }
        print(CompareReport(model: header, cells: cells, tolerance: tolerance, version: version).render(format))
    }
}

extension Shard: ExpressibleByArgument {
    public init?(argument: String) {
        guard let shard = OptionValue.parsed(argument, Shard.init(parsing:)) else { return nil }
        self = shard
    }
}

/// `compare --widths`.
enum SweepWidths: OptionRule {
    static func parse(_ text: String) throws -> [Int] { try SweepLists.widths(text) }
}

/// `compare --thetas`.
enum SweepThetas: OptionRule {
    static func parse(_ text: String) throws -> [Double] { try SweepLists.thetas(text) }
}

/// `compare --betas`.
enum SweepBetas: OptionRule {
    static func parse(_ text: String) throws -> [Double] { try SweepLists.betas(text) }
}

/// `compare --inits`.
enum SweepInits: OptionRule {
    static func parse(_ text: String) throws -> [String] { try SweepLists.inits(text) }
}

