import ArgumentParser
import Dispatch
import Foundation
import SNNModel
import SNNFormats
import SNNSimulator
import SNNSupport
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

        Examples:
          snn-theory compare --widths 100,300,1000 --thetas 0.5,1,2 --depth 100
          snn-theory compare --thetas 1 --inits paper,kaiming --resume cells.jsonl
          snn-theory compare --widths 1000,20000 --thetas 1 --depth 50 --steps 20 --betas 0.5 --inits target-rate:0.1 --method reduced
          snn-theory compare --shard 2/4 --resume shard-2.jsonl --quiet
          snn-theory merge shard-*.jsonl --format json
        """
    )

    @OptionGroup var network: NetworkOptions

    @Option(help: ArgumentHelp("Layer widths to sweep, comma-separated.", valueName: "n,n,..."))
    var widths: Parsed<SweepWidths> = "100,300,1000"

    @Option(help: ArgumentHelp("Thresholds to sweep, comma-separated.", valueName: "theta,..."))
    var thetas: Parsed<SweepThetas> = "0.5,1,2"

    @Option(help: ArgumentHelp("Leaks to sweep, comma-separated.", valueName: "beta,..."))
    var betas: Parsed<SweepBetas> = "0.9"

    @Option(help: ArgumentHelp("Initializations to sweep, comma-separated: \(CompareCommand.allowedInits).",
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

    struct Plan {
        /// Every cell of the sweep, in sweep order (init, then beta, then width, then theta).
        let cells: [ComparisonCell]
        let settings: SweepSettings
        let shard: Shard
    }

    /// Slice `index` (0-based) of `count`: the cells whose position in the sweep is index mod count.
    struct Shard: Equatable, ExpressibleByArgument {
        let index: Int
        let count: Int
        static let whole = Shard(index: 0, count: 1)

        init(index: Int, count: Int) {
            self.index = index
            self.count = count
        }

        init?(argument: String) {
            guard let shard = OptionValue.parsed(argument, Shard.init(parsing:)) else { return nil }
            self = shard
        }

        /// Parses `I/N` with 1 <= I <= N.
        init(parsing text: String) throws {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, let i = Int(parts[0].trimmingCharacters(in: .whitespaces)),
                  let n = Int(parts[1].trimmingCharacters(in: .whitespaces)), n >= 1, n <= 1_000_000, i >= 1, i <= n
            else {
                throw ModelError.invalid(parameter: "shard", value: text,
                                         allowed: "I/N with 1 <= I <= N <= 1000000, e.g. 2/8 (Slurm: --array=1-N)")
            }
            self.init(index: i - 1, count: n)
        }

        func contains(_ position: Int) -> Bool { position % count == index }
    }

    /// The cells of a sweep over these lists, in sweep order (init, then beta, then width, then theta).
    static func sweepCells(widths: [Int], thetas: [Double], betas: [Double], inits: [String]) -> [ComparisonCell] {
        var cells: [ComparisonCell] = []
        for s in inits { for b in betas { for w in widths { for t in thetas {
            cells.append(ComparisonCell(width: w, theta: t, beta: b, scheme: s))
        } } } }
        return cells
    }

    /// The cells of the sweep a file's settings list, as the command line would read them.
    static func sweepCells(widths: String, thetas: String, betas: String, inits: String) throws -> [ComparisonCell] {
        sweepCells(widths: try SweepWidths.parse(widths), thetas: try SweepThetas.parse(thetas),
                   betas: try SweepBetas.parse(betas), inits: try SweepInits.parse(inits))
    }

    static let allowedInits = InitScheme.allowedNames + ", or target-rate:R (the solver's per-layer scales that hold "
        + "the rate R in (0, 1), time-averaged over --steps)"

    /// The seed of one cell: --seed and the cell's width, theta, beta and init, each through SplitMix64's mixer.
    /// A cell's result is a function of the settings and the cell alone, whatever else the sweep holds.
    static func cellSeed(_ seed: UInt64, _ cell: ComparisonCell) -> UInt64 {
        var name: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a of the init's name: stable across processes and runs
        for byte in cell.scheme.utf8 { name = (name ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        var key = SplitMix64.mix(seed &+ 0x2545_F491_4F6C_DD1D)
        for part in [UInt64(truncatingIfNeeded: cell.width), cell.theta.bitPattern, cell.beta.bitPattern, name] {
            key = SplitMix64.mix(key ^ part)
        }
        return key
    }

    func plan() throws -> Plan {
        let depth = network.depth, inputSize = network.inputSize, reset = network.reset, steps = network.steps
        let input = network.input, targetVariance = network.targetVariance
        let cells = Self.sweepCells(widths: widths.value, thetas: thetas.value, betas: betas.value, inits: inits.value)
        guard depth >= 1, depth <= 100_000 else {
            throw ModelError.invalid(parameter: "depth", value: "\(depth)", allowed: "an integer from 1 to 100000")
        }
        guard steps >= 1, steps <= 1024 else {
            throw ModelError.invalid(parameter: "steps", value: "\(steps)", allowed: "an integer from 1 to 1024")
        }
        _ = try InitScheme.checkedTargetVariance(targetVariance)
        guard tolerance.isFinite, tolerance > 0, tolerance < 1 else {
            throw ModelError.invalid(parameter: "tolerance", value: "\(tolerance)", allowed: "a number in (0, 1)")
        }
        guard batch >= 1, batch <= SimulationConfiguration.maximumBatch else {
            throw ModelError.invalid(parameter: "batch", value: "\(batch)", allowed: "an integer from 1 to \(SimulationConfiguration.maximumBatch)")
        }
        // Two at least: every verdict weighs a deviation against the standard error across networks.
        guard networks >= 2, networks <= SimulationConfiguration.maximumNetworks else {
            throw ModelError.invalid(parameter: "networks", value: "\(networks)",
                                     allowed: "an integer from 2 to \(SimulationConfiguration.maximumNetworks) (the verdicts need standard errors across networks)")
        }
        guard threads >= 1, threads <= SimulationConfiguration.maximumThreads else {
            throw ModelError.invalid(parameter: "threads", value: "\(threads)", allowed: "an integer from 1 to \(SimulationConfiguration.maximumThreads)")
        }
        if let inputSize, !(inputSize >= 1 && inputSize <= Architecture.maximumWidth) {
            throw ModelError.invalid(parameter: "input-size", value: "\(inputSize)", allowed: "an integer from 1 to \(Architecture.maximumWidth)")
        }
        var distribution = weights
        let simulation = method
        if simulation == .reduced {
            guard batch == 1 else {
                throw ModelError.invalid(parameter: "batch", value: "\(batch)",
                                         allowed: "1 with --method reduced (the sampler is exact for one input per network)")
            }
            guard distribution != .uniform else {
                throw ModelError.invalid(parameter: "weights", value: "uniform",
                                         allowed: "gaussian with --method reduced (exact for Gaussian weights only)")
            }
            distribution = .gaussian
        }
        let targetRates = try cells.compactMap { cell -> Double? in
            guard case let .targetRate(r) = try CellInitialization(parsing: cell.scheme) else { return nil }
            return r
        }
        if steps == 1, let r = targetRates.first(where: { $0 >= 0.5 }) {
            throw ModelError.invalid(parameter: "inits", value: CellInitialization.targetRate(r).name,
                                     allowed: "target-rate:R with R in (0, 0.5) at --steps 1 (the first-step rate of a "
                                         + "zero-mean potential stays below 0.5), or --steps above 1")
        }
        try TemporalOptions.checkQuasiMonteCarlo(points: qmcPoints, replicates: qmcReplicates)
        let meanField = TemporalKernelSettings(points: qmcPoints, replicates: qmcReplicates)
        // The multi-step mean field per cell (two evaluations per layer), and the solver's ~20 for a target rate.
        try TemporalOptions.checkWork(steps: steps, points: meanField.points, replicates: meanField.replicates,
                                      layerEvaluations: depth * (targetRates.isEmpty ? 2 : 22))
        let shard = shard ?? .whole
        if quiet && verbose {
            throw ModelError.invalid(parameter: "quiet", value: "--quiet --verbose",
                                     allowed: "at most one of --quiet and --verbose")
        }
        if let output, let resume, output != resume {
            throw ModelError.invalid(parameter: "output", value: output,
                                     allowed: "no --output with --resume (new cells are appended to the --resume file)")
        }
        let settings = SweepSettings(depth: depth, inputSize: inputSize, reset: reset, steps: steps,
                                     input: input, targetVariance: targetVariance,
                                     batch: batch, networks: networks, seed: seed, threads: threads,
                                     weights: distribution, tolerance: tolerance, method: simulation,
                                     meanField: meanField)
        try Self.checkComputable(cells, settings)
        if let plot { try Figures.checkDestination(plot) }
        // Refuse a sweep whose largest cell would not fit in memory, before any work.
        // The reduced sampler keeps no weight matrix: its own estimate, against the same limit.
        let widest = cells.map(\.width).max()!
        let largest = try SimulationConfiguration(
            network: Network(architecture: Architecture(inputSize: inputSize ?? widest, width: widest, depth: depth),
                             neuron: NeuronModel(threshold: 1, leak: 0.9), steps: steps, input: settings.input,
                             initialization: .variances(Array(repeating: 1.0 / Double(widest), count: depth),
                                                        name: "largest cell")),
            batch: batch, networks: networks, seed: seed, threads: threads,
            memoryLimit: simulation == .reduced ? .max : nil)
        if simulation == .reduced { try SimulationOptions.checkReducedMemory(largest) }
        return Plan(cells: cells, settings: settings, shard: shard)
    }

    /// Refuses, before any work, a cell whose weight variances are not finite and positive or whose membrane
    /// variance could overflow (a bound: n Var[w] times the input's second moment, or 1 for spikes). The solver's
    /// scales (`target-rate:R`) hold a rate in (0, 1) and are checked as they are solved.
    static func checkComputable(_ cells: [ComparisonCell], _ s: SweepSettings) throws {
        for cell in cells {
            guard case let .scheme(scheme) = try CellInitialization(parsing: cell.scheme) else { continue }
            let architecture = try Architecture(inputSize: s.inputSize ?? cell.width, width: cell.width, depth: s.depth)
            let neuron = try NeuronModel(threshold: cell.theta, leak: cell.beta, reset: s.reset)
            let variances = try WeightVariance.checked(scheme, architecture: architecture,
                                                     neuron: neuron, input: s.input, targetVariance: s.targetVariance)
            for (i, v) in variances.enumerated() {
                let bound = Double(architecture.fanIn(layer: i + 1)) * v * (i == 0 ? max(1, s.input.secondMoment) : 1)
                guard v.isFinite, v > 0, bound < 1e300 else {
                    let paper = cell.scheme == "paper"
                    throw ModelError.invalid(
                        parameter: paper ? "target-variance" : "thetas",
                        value: paper ? Format.exact(s.targetVariance) : Format.exact(cell.theta),
                        allowed: "a target variance and thresholds that give every cell a finite positive Var[w] "
                            + "and membrane variances below 1e300 (width \(cell.width), theta \(cell.theta), \(cell.scheme) gives "
                            + "Var[w_\(i + 1)] = \(v))")
                }
            }
        }
    }

    func validate() throws {
        do { _ = try plan() } catch let error as SimulationError { throw ValidationError("memory: " + error.description) }
    }

    func note(_ text: String) {
        FileHandle.standardError.write(Data("snn-theory: \(text)\n".utf8))
    }

    func describe(_ cell: ComparisonCell) -> String {
        "width \(cell.width), theta \(Format.number(cell.theta)), beta \(Format.number(cell.beta)), \(cell.scheme)"
    }

    /// The cells of `--resume FILE` that belong to this sweep, by position, after checking the file's settings;
    /// then (and only then) a last line cut short is cut from the file. Returns the warnings to print.
    func resumed(_ file: JSONLinesFile, plan: Plan, header: JSON) throws -> (cells: [Int: CellComparison], warnings: [String]) {
        let data = try CommandFailure.reporting("resume") { try file.contents() }
        let contents = try CellFileContents.parse(data, name: file.path, parameter: "resume")
        var found: [Int: CellComparison] = [:]
        var lineOf: [Int: Int] = [:]
        var outside = 0
        for entry in contents.entries {
            if let difference = SweepHeader.difference(entry.model, header, ignoring: SweepHeader.axes) {
                throw CommandFailure(message: "resume: line \(entry.line) of '\(file.path)' was written with "
                    + "\(difference.key) \(difference.theirs), this run has \(difference.key) \(difference.ours); "
                    + "use the same settings or another file")
            }
            guard let position = plan.cells.firstIndex(of: entry.cell.cell), plan.shard.contains(position) else {
                outside += 1
                continue
            }
            if let first = lineOf[position] {
                throw CommandFailure(message: "resume: cell (\(describe(entry.cell.cell))) is in '\(file.path)' twice, "
                    + "lines \(first) and \(entry.line); remove one")
            }
            lineOf[position] = entry.line
            found[position] = entry.cell
        }
        var warnings: [String] = []
        if contents.truncatedLength > 0 {
            try CommandFailure.reporting("resume") { try file.truncate(to: contents.wholeLength) }
            warnings.append("warning: dropped a last line cut short (\(contents.truncatedLength) bytes) from "
                + "'\(file.path)'; that cell runs again")
        }
        if outside > 0 {
            warnings.append("warning: \(outside) cell(s) in '\(file.path)' are not part of this sweep"
                + (plan.shard == .whole ? "" : " or shard") + "; kept in the file, left out of the output")
        }
        return (found, warnings)
    }

    func run() throws {
        let plan: Plan
        do { plan = try self.plan() } catch let error as SimulationError {
            throw CommandFailure(message: "memory: " + error.description)
        }
        let header = CompareReport.modelJSON(self, plan.settings)
        let mine = plan.cells.indices.filter(plan.shard.contains)
        var file: JSONLinesFile?
        var done: [Int: CellComparison] = [:]
        if let resume {
            let opened = try CommandFailure.reporting("resume") { try JSONLinesFile(path: resume) }
            let (cells, warnings) = try resumed(opened, plan: plan, header: header)
            for warning in warnings { note(warning) }
            done = cells
            file = opened
        } else if let output {
            let opened = try CommandFailure.reporting("output") { try JSONLinesFile(path: output) }
            guard opened.isEmpty else {
                throw CommandFailure(message: "output: '\(output)' already holds cells; continue that sweep with "
                    + "--resume \(output), or choose another file")
            }
            file = opened
        }
        let todo = mine.filter { done[$0] == nil }
        if verbose {
            let slice = plan.shard == .whole ? "" : ", shard \(plan.shard.index + 1)/\(plan.shard.count) holds \(mine.count)"
            let resumedFrom = resume.map { ", \(mine.count - todo.count) already in '\($0)'" } ?? ""
            note("sweep of \(plan.cells.count) cells\(slice)\(resumedFrom), \(todo.count) to run")
        }
        let recorder = SweepRecorder(file: file, finished: done)
        let progress = quiet ? nil : Progress.forTerminal(label: "cells")
        let tolerance = plan.settings.tolerance
        // Ctrl-C, or SIGTERM from a batch system: print what is finished, then exit. The file already holds it all.
        var sources: [DispatchSourceSignal] = []
        for (signalNumber, code) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [format] in
                recorder.stop { cells in
                    progress?.finish()
                    print(CompareReport(model: header, cells: cells, tolerance: tolerance).render(format))
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
            progress?.message("cell \(k + 1)/\(todo.count) (\(describe(cell)))")
            let settings = plan.settings.with(seed: Self.cellSeed(plan.settings.seed, cell))
            let cellStart = Date()
            let computed: CellComparison
            do {
                computed = try Comparison.compare(cell, settings: settings, finiteWidth: FiniteWidthPrediction.provider())
            } catch let error as SolverError {
                throw CommandFailure(message: "inits: \(error) (cell \(describe(cell)))")
            } catch let error as TemporalKernelError {
                throw CommandFailure(message: "internal: the multi-step mean field of cell (\(describe(cell))) failed: "
                    + error.description, code: 70)
            }
            let result: CellComparison
            do { result = try CellRecord.normalized(computed) } catch let error as CellRecord.Malformed {
                throw CommandFailure(message: "internal: the record of cell (\(describe(cell))) does not read back: "
                    + error.reason, code: 70)
            }
            try recorder.record(position, CellRecord.line(model: header, cell: result), result)
            if verbose {
                progress?.finish()
                note("cell \(k + 1)/\(todo.count) (\(describe(cell))) in "
                    + String(format: "%.1f s: ", Date().timeIntervalSince(cellStart)) + result.verdict)
            }
        }
        for source in sources { source.cancel() }
        progress?.finish()
        let cells = recorder.finished()
        if let plot { try Figures.write(Figures.compare(cells), to: plot) }
        if !quiet {
            note(String(format: "%d cells in %.1f s", todo.count, Date().timeIntervalSince(start))
                + (todo.count == mine.count ? "" : " (\(mine.count - todo.count) more from '\(resume ?? "")')"))
        }
        print(CompareReport(model: header, cells: cells, tolerance: tolerance).render(format))
    }
}

/// The finished cells of a sweep by position, and the file that keeps them, behind one lock: an interrupt sees the
/// list and the file agree, and never a line half written.
final class SweepRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private let file: JSONLinesFile?
    private var cells: [Int: CellComparison]

    init(file: JSONLinesFile?, finished: [Int: CellComparison]) {
        self.file = file
        cells = finished
    }

    func record(_ position: Int, _ line: String, _ cell: CellComparison) throws {
        lock.lock()
        defer { lock.unlock() }
        try CommandFailure.reporting("output") { try file?.append(line) }
        cells[position] = cell
    }

    /// The finished cells in sweep order.
    func finished() -> [CellComparison] {
        lock.lock()
        defer { lock.unlock() }
        return cells.keys.sorted().map { cells[$0]! }
    }

    /// Runs `body` with the finished cells and never gives the lock back: for a handler that exits.
    func stop(_ body: ([CellComparison]) -> Never) -> Never {
        lock.lock()
        body(cells.keys.sorted().map { cells[$0]! })
    }
}

/// The `model` header of a sweep's records: which settings must agree for cells to belong together.
enum SweepHeader {
    /// The swept lists: a resumed sweep may differ in them (its cells are matched one by one).
    static let axes: Set<String> = ["widths", "thetas", "betas", "inits"]

    /// The fields in the order `CompareReport.modelJSON` writes them, and those it writes as Doubles (the others are
    /// integers or strings).
    static let fields = [
        "tool", "version", "command", "depth", "widths", "thetas", "betas", "inits", "input_size", "reset", "steps",
        "input", "target_variance", "batch", "networks", "seed", "method", "weights", "tolerance", "compared_at",
        "multi_step_method", "qmc_points", "qmc_replicates", "qmc_seed", "cell_seed", "conventions",
    ]
    static let doubleFields: Set<String> = ["target_variance", "tolerance"]

    /// A header read back from a record as it was written: JSONDecoder keeps neither the order of the keys nor a
    /// Double written 1.0 (it reads 1), so the fields go back into `fields`' order (any other after them, by name)
    /// and those in `doubleFields` back to Doubles.
    static func read(_ header: JSON) -> JSON {
        guard case let .object(pairs) = header else { return header }
        func rank(_ key: String) -> (Int, String) { (fields.firstIndex(of: key) ?? fields.count, key) }
        return .object(pairs.sorted { rank($0.0) < rank($1.0) }.map { key, value in
            if doubleFields.contains(key), case let .integer(n) = value { return (key, .number(Double(n))) }
            return (key, value)
        })
    }

    /// The first field (in `ours`' order, then any extra in `theirs`) whose value differs, skipping `ignoring`.
    static func difference(_ theirs: JSON, _ ours: JSON, ignoring: Set<String> = [])
        -> (key: String, theirs: String, ours: String)?
    {
        guard case let .object(a) = theirs, case let .object(b) = ours else {
            return ("model", theirs.rendered(pretty: false), ours.rendered(pretty: false))
        }
        func text(_ j: JSON?) -> String { j.map { $0.rendered(pretty: false) } ?? "(none)" }
        for key in b.map(\.0) + a.map(\.0) where !ignoring.contains(key) {
            let x = text(theirs[key]), y = text(ours[key])
            if x != y { return (key, x, y) }
        }
        return nil
    }
}

struct CompareReport {
    let model: JSON
    let cells: [CellComparison]
    let tolerance: Double

    /// The settings that make a sweep's cells belong together; a new field goes into `SweepHeader.fields` too.
    static func modelJSON(_ c: CompareCommand, _ s: SweepSettings) -> JSON {
        let multiStep: [(String, JSON)] = s.steps > 1 ? [
            ("multi_step_method", .string(s.steps <= 2 ? "quadrature" : "qmc")),
            ("qmc_points", .integer(s.meanField.points)), ("qmc_replicates", .integer(s.meanField.replicates)),
            ("qmc_seed", .integer(Int(truncatingIfNeeded: s.meanField.seed))),
        ] : []
        return .object([
            ("tool", .string("snn-theory")),
            ("version", .string(SNNTheoryCommand.version)),
            ("command", .string("compare")),
            ("depth", .integer(s.depth)),
            ("widths", .string(c.widths.text)),
            ("thetas", .string(c.thetas.text)),
            ("betas", .string(c.betas.text)),
            ("inits", .string(c.inits.text)),
            ("input_size", s.inputSize.map { .integer($0) } ?? .string("width")),
            ("reset", .string(s.reset.rawValue)),
            ("steps", .integer(s.steps)),
            ("input", .string(s.input.description)),
            ("target_variance", .number(s.targetVariance)),
            ("batch", .integer(s.batch)),
            ("networks", .integer(s.networks)),
            ("seed", .integer(Int(truncatingIfNeeded: s.seed))),
            ("method", .string(s.method.rawValue)),
            ("weights", .string(s.weights?.rawValue ?? "per init")),
            ("tolerance", .number(s.tolerance)),
            ("compared_at", .string(s.steps > 1 ? "t = 1, and the rate averaged over t = 1..T" : "t = 1")),
        ] + multiStep + [
            ("cell_seed", .string("SplitMix64 of seed, width, theta, beta and init (compare --help)")),
            ("conventions", .string(((try? NeuronModel(threshold: 1, leak: 1, reset: s.reset))?.conventions) ?? "")),
        ])
    }

    /// The cell's time-averaged rate at the last layer (T > 1), simulation against the multi-step mean field.
    static func driftJSON(_ c: CellComparison) -> [(String, JSON)] {
        guard let last = c.layers.last, let a = last.timeAveraged else { return [] }
        return [("time_averaged_drift", .object([
            ("layer", .integer(last.layer)),
            ("simulated", .number(a.empiricalRate)),
            ("simulated_stderr", .finite(a.empiricalRateError)),
            ("simulated_spread", .finite(a.empiricalSpread)),
            ("mean_field", .number(a.predictedRate)),
            ("mean_field_stderr", .number(a.predictedRateError)),
            ("relative_deviation", .finite(a.relativeDeviation)),
            ("deviation_stderr", .finite(a.deviationInStandardErrors)),
            ("outside_from_layer", c.driftsFromLayer.map { .integer($0) } ?? .null),
            ("multi_step_drift", .bool(c.driftsFromLayer.map { c.holdsToDepth >= $0 } ?? false)),
        ]))]
    }

    /// A layer's time-averaged fields under predicted, empirical and deviation (T > 1).
    static func timeAveragedJSON(_ a: TimeAveragedComparison?) -> (predicted: [(String, JSON)],
                                                                    empirical: [(String, JSON)],
                                                                    deviation: [(String, JSON)])
    {
        guard let a else { return ([], [], []) }
        return ([("time_averaged_rate", .number(a.predictedRate)),
                 ("time_averaged_rate_stderr", .number(a.predictedRateError))],
                [("time_averaged_rate", .number(a.empiricalRate)),
                 ("time_averaged_rate_stderr", .finite(a.empiricalRateError)),
                 ("time_averaged_rate_spread", .finite(a.empiricalSpread))],
                [("relative_time_averaged_rate", .finite(a.relativeDeviation)),
                 ("time_averaged_rate_stderr", .finite(a.deviationInStandardErrors))])
    }

    static func cellJSON(_ c: CellComparison) -> JSON {
        let last = c.layers.last
        let head: [(String, JSON)] = [
            ("width", .integer(c.cell.width)),
            ("theta", .number(c.cell.theta)),
            ("beta", .number(c.cell.beta)),
            ("init", .string(c.cell.scheme)),
            ("holds_to_depth", .integer(c.holdsToDepth)),
            ("verdict", .string(c.verdict)),
            ("worst_rate_deviation_stderr", .number(c.worstRateDeviation)),
            ("silent_fraction", .object([
                ("predicted", .finite(last?.finiteWidthSilentProbability)),
                ("empirical", .number(last?.empiricalSilentFraction ?? 0)),
                ("empirical_stderr", .finite(last?.empiricalSilentFractionError)),
            ])),
        ]
        return .object(head + driftJSON(c) + [("layers", .array(c.layers.map(layerJSON)))])
    }

    static func layerJSON(_ l: LayerComparison) -> JSON {
        let averaged = timeAveragedJSON(l.timeAveraged)
        let predicted: [(String, JSON)] = [
            ("membrane_variance", .number(l.predictedVariance)),
            ("rate", .number(l.predictedRate)),
            ("finite_width_rate", .finite(l.finiteWidthRate)),
            ("silent_probability", .finite(l.finiteWidthSilentProbability)),
            ("fixed_point_slope", .finite(l.fixedPointSlope)),
        ]
        let empirical: [(String, JSON)] = [
            ("membrane_variance", .number(l.empiricalVariance)),
            ("membrane_variance_stderr", .finite(l.empiricalVarianceError)),
            ("rate", .number(l.empiricalRate)),
            ("rate_stderr", .finite(l.empiricalRateError)),
            ("silent_fraction", .number(l.empiricalSilentFraction)),
        ]
        let deviation: [(String, JSON)] = [
            ("relative_variance", .finite(l.relativeVarianceDeviation)),
            ("rate_stderr", .finite(l.rateDeviationInStandardErrors)),
            ("rate_stderr_finite_width", .finite(l.finiteWidthRateDeviationInStandardErrors)),
        ]
        return .object([
            ("layer", .integer(l.layer)),
            ("predicted", .object(predicted + averaged.predicted)),
            ("empirical", .object(empirical + averaged.empirical)),
            ("deviation", .object(deviation + averaged.deviation)),
        ])
    }

    /// Whether the sweep has T > 1 steps, and so a time-averaged comparison.
    var timeAveraged: Bool {
        guard case let .integer(steps)? = model["steps"] else { return false }
        return steps > 1
    }

    func render(_ format: OutputFormat) -> String {
        switch format {
        case .json: return JSON.object([("model", model), ("cells", .array(cells.map(Self.cellJSON)))]).rendered()
        case .csv: return csv()
        case .table: return table()
        }
    }

    func csv() -> String {
        var lines = ["# " + model.rendered(pretty: false)]
        lines.append("width,theta,beta,init,layer,predicted_membrane_variance,predicted_rate,finite_width_rate,"
            + "silent_probability,empirical_membrane_variance,empirical_membrane_variance_stderr,empirical_rate,"
            + "empirical_rate_stderr,empirical_silent_fraction,relative_variance_deviation,rate_deviation_stderr,"
            + "rate_deviation_stderr_finite_width" + (timeAveraged ? ",predicted_time_averaged_rate,"
                + "predicted_time_averaged_rate_stderr,empirical_time_averaged_rate,empirical_time_averaged_rate_stderr,"
                + "empirical_time_averaged_rate_spread,relative_time_averaged_rate_deviation,"
                + "time_averaged_rate_deviation_stderr" : ""))
        for c in cells {
            for l in c.layers {
                let a = l.timeAveraged
                let averaged = timeAveraged ? [
                    Format.exact(a?.predictedRate), Format.exact(a?.predictedRateError), Format.exact(a?.empiricalRate),
                    Format.exact(a?.empiricalRateError), Format.exact(a?.empiricalSpread),
                    Format.exact(a?.relativeDeviation), Format.exact(a?.deviationInStandardErrors),
                ] : []
                lines.append(([
                    "\(c.cell.width)", Format.exact(c.cell.theta), Format.exact(c.cell.beta), c.cell.scheme, "\(l.layer)",
                    Format.exact(l.predictedVariance), Format.exact(l.predictedRate), Format.exact(l.finiteWidthRate),
                    Format.exact(l.finiteWidthSilentProbability), Format.exact(l.empiricalVariance),
                    Format.exact(l.empiricalVarianceError), Format.exact(l.empiricalRate),
                    Format.exact(l.empiricalRateError), Format.exact(l.empiricalSilentFraction),
                    Format.exact(l.relativeVarianceDeviation), Format.exact(l.rateDeviationInStandardErrors),
                    Format.exact(l.finiteWidthRateDeviationInStandardErrors),
                ] + averaged).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// width x theta, one block per (beta, init): the depth to which the theory holds and the worst deviation.
    func table() -> String {
        var out = ["snn-theory \(SNNTheoryCommand.version) compare: mean field against simulation at t = 1 "
            + "(a layer agrees within \(Format.number(tolerance * 100))% + 3 standard errors, at most 1% of networks "
            + "silent)"]
        var blocks: [(Double, String)] = []
        for c in cells where !blocks.contains(where: { $0.0 == c.cell.beta && $0.1 == c.cell.scheme }) {
            blocks.append((c.cell.beta, c.cell.scheme))
        }
        for (beta, scheme) in blocks {
            let group = cells.filter { $0.cell.beta == beta && $0.cell.scheme == scheme }
            var widths: [Int] = [], thetas: [Double] = []
            for c in group {
                if !widths.contains(c.cell.width) { widths.append(c.cell.width) }
                if !thetas.contains(c.cell.theta) { thetas.append(c.cell.theta) }
            }
            out.append("")
            out.append("init \(scheme), beta \(Format.number(beta)): holds to depth (worst rate deviation in standard errors)")
            let rows = widths.map { w in
                ["\(w)"] + thetas.map { t in
                    guard let c = group.first(where: { $0.cell.width == w && $0.cell.theta == t }) else { return "-" }
                    let depth = c.layers.count
                    let held = c.holdsToDepth == depth ? "all \(depth)" : "\(c.holdsToDepth)"
                    return "\(held) (\(Format.number(c.worstRateDeviation, digits: 2)))"
                }
            }
            out.append(Format.table(header: ["width \\ theta"] + thetas.map { Format.number($0) }, rows: rows))
        }
        if timeAveraged, case let .integer(steps)? = model["steps"] {
            out.append("")
            out.append("rate averaged over t = 1..\(steps) at the last layer: simulation (mean ± standard error, spread "
                + "across networks) against the multi-step mean field; outside from: the layer from which it stays "
                + "outside \(Format.number(tolerance * 100))% + 3 combined standard errors")
            let rows = cells.compactMap { c -> [String]? in
                guard let a = c.layers.last?.timeAveraged else { return nil }
                let outside = c.driftsFromLayer.map { "\($0)" + (c.holdsToDepth >= $0 ? " (drift)" : "") } ?? "-"
                return ["\(c.cell.width)", Format.number(c.cell.theta), Format.number(c.cell.beta), c.cell.scheme,
                        Format.number(a.empiricalRate) + " ± " + Format.number(a.empiricalRateError ?? .nan, digits: 2),
                        Format.number(a.empiricalSpread ?? .nan, digits: 2),
                        Format.number(a.predictedRate) + " ± " + Format.number(a.predictedRateError, digits: 2),
                        a.relativeDeviation.map { String(format: "%+.1f%%", 100 * $0) } ?? "-", outside]
            }
            out.append(Format.table(header: ["width", "theta", "beta", "init", "simulated", "spread", "mean field",
                                             "deviation", "outside from"], rows: rows))
        }
        out.append("")
        for c in cells {
            out.append("width \(c.cell.width), theta \(Format.number(c.cell.theta)), beta \(Format.number(c.cell.beta)), "
                + "\(c.cell.scheme): \(c.verdict)")
        }
        // A finite-width drift of the solver's scales has a remedy the verdicts cannot name (they are the library's).
        if cells.contains(where: { c in
            c.cell.scheme.hasPrefix(CellInitialization.targetRatePrefix)
                && c.driftsFromLayer.map { c.holdsToDepth >= $0 } == true
        }) {
            out.append("")
            out.append("The solver's scales hold the rate of infinitely wide layers; for the expected rate at a given "
                + "width, solve on sampled networks of that width: snn-theory simulate --target-rate R --solve-on sampler")
        }
        return out.joined(separator: "\n")
    }
}

/// The exact finite-width prediction of the first step (THEORY.md section 5), for `compare`.
enum FiniteWidthPrediction {
    static func provider() -> ((Network) throws -> [(meanRate: Double, silentProbability: Double)])? {
        { network in try FiniteWidthChain(network).layers().map { ($0.meanRate, $0.silentProbability) } }
    }
}

/// A list of the sweep: each value once, in the order given.
private func sweepList<T: Equatable>(_ text: String, _ name: String, _ allowed: String, _ parse: (String) -> T?) throws
    -> [T]
{
    let items = text.split(separator: ",", omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .whitespaces)
    }
    var values: [T] = []
    for item in items {
        guard let v = parse(item) else { throw ModelError.invalid(parameter: name, value: item, allowed: allowed) }
        guard !values.contains(v) else {
            throw ModelError.invalid(parameter: name, value: text, allowed: "each value once ('\(item)' repeats one)")
        }
        values.append(v)
    }
    return values
}

/// `compare --widths`: layer widths.
enum SweepWidths: OptionRule {
    static func parse(_ text: String) throws -> [Int] {
        try sweepList(text, "widths", "comma-separated integers from 1 to \(Architecture.maximumWidth)") {
            Int($0).flatMap { $0 >= 1 && $0 <= Architecture.maximumWidth ? $0 : nil }
        }
    }
}

/// `compare --thetas`. (+ 0 turns -0 into 0: a cell's seed is taken from the bits of its theta and beta.)
enum SweepThetas: OptionRule {
    static func parse(_ text: String) throws -> [Double] {
        try sweepList(text, "thetas", "comma-separated finite numbers > 0") {
            Double($0).flatMap { $0.isFinite && $0 > 0 ? $0 + 0 : nil }
        }
    }
}

/// `compare --betas`.
enum SweepBetas: OptionRule {
    static func parse(_ text: String) throws -> [Double] {
        try sweepList(text, "betas", "comma-separated numbers in [0, 1]") {
            Double($0).flatMap { $0 >= 0 && $0 <= 1 ? $0 + 0 : nil }
        }
    }
}

/// `compare --inits`: schemes and `target-rate:R`, by name, each once.
enum SweepInits: OptionRule {
    static func parse(_ text: String) throws -> [String] {
        let allowedInits = CompareCommand.allowedInits
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard !items.contains(where: \.isEmpty) else {
            throw ModelError.invalid(parameter: "inits", value: text, allowed: "a comma-separated list of " + allowedInits)
        }
        let schemes = try items.map { item in
            do { return try CellInitialization(parsing: item).name } catch let ModelError.invalid(_, value, allowed) {
                throw ModelError.invalid(parameter: "inits", value: value,
                                         allowed: item.hasPrefix(CellInitialization.targetRatePrefix) ? allowed : allowedInits)
            }
        }
        if let repeated = schemes.enumerated().first(where: { schemes[..<$0.offset].contains($0.element) }) {
            throw ModelError.invalid(parameter: "inits", value: text,
                                     allowed: "each initialization once ('\(repeated.element)' repeats)")
        }
        return schemes
    }
}
