import ArgumentParser
import Dispatch
import Foundation
import SNNModel
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
        the measured rate is within --tolerance (relative) plus 3 standard errors of the mean field; each cell gets a \
        verdict saying to which depth the theory holds and why it breaks.

        Finished cells are never lost: with --output FILE each cell is appended to FILE as one JSON line when it \
        finishes, and an interrupted run (Ctrl-C) prints the cells finished so far before it exits.

        Examples:
          snn-theory compare --widths 100,300,1000 --thetas 0.5,1,2 --depth 100
          snn-theory compare --widths 1000 --thetas 1 --inits paper,kaiming --format json --output cells.jsonl
        """
    )

    @Option(help: "Number of layers L.")
    var depth: Int = 100

    @Option(help: ArgumentHelp("Layer widths to sweep, comma-separated.", valueName: "n,n,..."))
    var widths: String = "100,300,1000"

    @Option(help: ArgumentHelp("Thresholds to sweep, comma-separated.", valueName: "theta,..."))
    var thetas: String = "0.5,1,2"

    @Option(help: ArgumentHelp("Leaks to sweep, comma-separated.", valueName: "beta,..."))
    var betas: String = "0.9"

    @Option(help: ArgumentHelp("Initializations to sweep, comma-separated: \(InitScheme.allowedNames).",
                               valueName: "scheme,..."))
    var inits: String = "paper"

    @Option(name: .customLong("input-size"), help: "Input size n0 (default: each cell's width).")
    var inputSize: Int?

    @Option(help: "Reset after a spike: subtract or zero.")
    var reset: String = "subtract"

    @Option(help: "Time steps T simulated (the comparison is at t = 1).")
    var steps: Int = 1

    @Option(help: ArgumentHelp("Input: bernoulli:P or gaussian:S.", valueName: "kind:value"))
    var input: String = "bernoulli:0.2"

    @Option(name: .customLong("target-variance"), help: "Membrane variance the paper's initialization holds.")
    var targetVariance: Double = 1

    @Option(help: "Inputs per network (the finite-width silent probability is for one input).")
    var batch: Int = 1

    @Option(help: "Independent networks per cell.")
    var networks: Int = 40

    @Option(help: "Seed of every random draw (cells get distinct derived seeds).")
    var seed: UInt64 = 1

    @Option(help: "Worker threads (results do not depend on it).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Weight distribution: gaussian or uniform (default: each initialization's own).")
    var weights: String?

    @Option(help: "Relative rate tolerance of a layer, in (0, 1).")
    var tolerance: Double = 0.05

    @Option(help: "Output: table (summary for people), csv (one row per cell and layer) or json.")
    var format: OutputFormat = .table

    @Option(help: "Append each finished cell to this file as one JSON line (flushed), so nothing finished is lost.")
    var output: String?

    @Option(help: ArgumentHelp("Also write an SVG figure: deviation heat map and per-cell rate profiles.",
                               valueName: "file.svg"))
    var plot: String?

    struct Plan {
        let cells: [ComparisonCell]
        let settings: SweepSettings
    }

    func plan() throws -> Plan {
        func list<T>(_ text: String, _ name: String, _ allowed: String, _ parse: (String) -> T?) throws -> [T] {
            let items = text.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard !items.isEmpty else { throw ModelError.invalid(parameter: name, value: text, allowed: allowed) }
            return try items.map { item in
                guard let v = parse(item) else { throw ModelError.invalid(parameter: name, value: item, allowed: allowed) }
                return v
            }
        }
        let widthList = try list(widths, "widths", "comma-separated integers from 1 to \(Architecture.maximumWidth)") {
            Int($0).flatMap { $0 >= 1 && $0 <= Architecture.maximumWidth ? $0 : nil }
        }
        let thetaList = try list(thetas, "thetas", "comma-separated finite numbers > 0") {
            Double($0).flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
        }
        let betaList = try list(betas, "betas", "comma-separated numbers in [0, 1]") {
            Double($0).flatMap { $0 >= 0 && $0 <= 1 ? $0 : nil }
        }
        let schemes = try InitScheme.parseList(inits).map(\.description)
        guard depth >= 1, depth <= 100_000 else {
            throw ModelError.invalid(parameter: "depth", value: "\(depth)", allowed: "an integer from 1 to 100000")
        }
        guard let r = Reset(rawValue: reset) else {
            throw ModelError.invalid(parameter: "reset", value: reset, allowed: "subtract or zero")
        }
        guard steps >= 1, steps <= 1024 else {
            throw ModelError.invalid(parameter: "steps", value: "\(steps)", allowed: "an integer from 1 to 1024")
        }
        guard targetVariance.isFinite, targetVariance > 0 else {
            throw ModelError.invalid(parameter: "target-variance", value: "\(targetVariance)", allowed: "a finite number > 0")
        }
        guard tolerance.isFinite, tolerance > 0, tolerance < 1 else {
            throw ModelError.invalid(parameter: "tolerance", value: "\(tolerance)", allowed: "a number in (0, 1)")
        }
        guard batch >= 1, batch <= SimulationConfiguration.maximumBatch else {
            throw ModelError.invalid(parameter: "batch", value: "\(batch)", allowed: "an integer from 1 to \(SimulationConfiguration.maximumBatch)")
        }
        guard networks >= 1, networks <= SimulationConfiguration.maximumNetworks else {
            throw ModelError.invalid(parameter: "networks", value: "\(networks)", allowed: "an integer from 1 to \(SimulationConfiguration.maximumNetworks)")
        }
        guard threads >= 1, threads <= SimulationConfiguration.maximumThreads else {
            throw ModelError.invalid(parameter: "threads", value: "\(threads)", allowed: "an integer from 1 to \(SimulationConfiguration.maximumThreads)")
        }
        if let inputSize, !(inputSize >= 1 && inputSize <= Architecture.maximumWidth) {
            throw ModelError.invalid(parameter: "input-size", value: "\(inputSize)", allowed: "an integer from 1 to \(Architecture.maximumWidth)")
        }
        var distribution: WeightDistribution? = nil
        if let weights {
            guard let d = WeightDistribution(rawValue: weights) else {
                throw ModelError.invalid(parameter: "weights", value: weights, allowed: "gaussian or uniform")
            }
            distribution = d
        }
        let settings = SweepSettings(depth: depth, inputSize: inputSize, reset: r, steps: steps,
                                     input: try InputEncoding(parsing: input), targetVariance: targetVariance,
                                     batch: batch, networks: networks, seed: seed, threads: threads,
                                     weights: distribution, tolerance: tolerance)
        var cells: [ComparisonCell] = []
        for s in schemes { for b in betaList { for w in widthList { for t in thetaList {
            cells.append(ComparisonCell(width: w, theta: t, beta: b, scheme: s))
        } } } }
        // Refuse a sweep whose largest cell would not fit in memory, before any work.
        let widest = widthList.max()!
        _ = try SimulationConfiguration(
            architecture: Architecture(inputSize: inputSize ?? widest, width: widest, depth: depth),
            neuron: NeuronModel(threshold: 1, leak: 0.9), input: settings.input,
            weightVariances: Array(repeating: 1.0 / Double(widest), count: depth), steps: steps, batch: batch,
            networks: networks, seed: seed, threads: threads)
        return Plan(cells: cells, settings: settings)
    }

    func validate() throws {
        do { _ = try plan() } catch let error as SimulationError { throw ValidationError("memory: " + error.description) }
    }

    func run() throws {
        let plan: Plan
        do { plan = try self.plan() } catch let error as SimulationError {
            throw CommandFailure(message: "memory: " + error.description)
        }
        let store = FinishedCells()
        let sink = try output.map { try CellSink(path: $0) }
        let progress = Progress.forTerminal(label: "cells")
        let header = CompareReport.modelJSON(self, plan.settings)
        // Ctrl-C: print what is finished, then exit. The --output file already holds every finished cell.
        signal(SIGINT, SIG_IGN)
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        interrupt.setEventHandler { [format] in
            progress?.finish()
            let done = store.all()
            print(CompareReport(model: header, cells: done, tolerance: plan.settings.tolerance).render(format))
            FileHandle.standardError.write(Data("snn-theory: interrupted after \(done.count) of \(plan.cells.count) cells\n".utf8))
            // _exit, not exit: the main thread is still simulating, and exit's clean-up would race with it.
            fflush(nil)
            _exit(130)
        }
        interrupt.resume()
        let start = Date()
        for (index, cell) in plan.cells.enumerated() {
            let label = "cell \(index + 1)/\(plan.cells.count) (width \(cell.width), theta \(Format.number(cell.theta)), "
                + "beta \(Format.number(cell.beta)), \(cell.scheme))"
            progress?.message(label)
            var settings = plan.settings
            settings = SweepSettings(depth: settings.depth, inputSize: settings.inputSize, reset: settings.reset,
                                     steps: settings.steps, input: settings.input, targetVariance: settings.targetVariance,
                                     batch: settings.batch, networks: settings.networks,
                                     seed: settings.seed &+ UInt64(index) &* 0x9E37_79B9, threads: settings.threads,
                                     weights: settings.weights, tolerance: settings.tolerance)
            let result = try Comparison.compare(cell, settings: settings, finiteWidth: FiniteWidthPrediction.provider())
            store.append(result)
            try sink?.append(CompareReport.cellJSON(result))
        }
        interrupt.cancel()
        progress?.finish()
        FileHandle.standardError.write(Data(String(format: "snn-theory: %d cells in %.1f s\n", plan.cells.count,
                                                   Date().timeIntervalSince(start)).utf8))
        if let plot { try Figures.write(Figures.compare(store.all()), to: plot) }
        print(CompareReport(model: header, cells: store.all(), tolerance: plan.settings.tolerance).render(format))
    }
}

/// Cells finished so far, readable from the interrupt handler.
final class FinishedCells: @unchecked Sendable {
    private var cells: [CellComparison] = []
    private let lock = NSLock()

    func append(_ c: CellComparison) {
        lock.lock()
        cells.append(c)
        lock.unlock()
    }

    func all() -> [CellComparison] {
        lock.lock()
        defer { lock.unlock() }
        return cells
    }
}

/// Appends one JSON line per cell and flushes it: a killed run leaves only whole lines behind.
final class CellSink {
    private let handle: FileHandle

    init(path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw CommandFailure(message: "output: cannot create '\(path)'")
            }
        }
        guard let h = FileHandle(forWritingAtPath: path) else {
            throw CommandFailure(message: "output: cannot open '\(path)' for writing")
        }
        handle = h
        handle.seekToEndOfFile()
    }

    func append(_ json: JSON) throws {
        // One write call per line: the line lands whole or not at all for a reader of a file this size.
        handle.write(Data((json.rendered(pretty: false) + "\n").utf8))
        try handle.synchronize()
    }
}

struct CompareReport {
    let model: JSON
    let cells: [CellComparison]
    let tolerance: Double

    static func modelJSON(_ c: CompareCommand, _ s: SweepSettings) -> JSON {
        .object([
            ("tool", .string("snn-theory")),
            ("version", .string(SNNTheoryCommand.version)),
            ("command", .string("compare")),
            ("depth", .integer(s.depth)),
            ("widths", .string(c.widths)),
            ("thetas", .string(c.thetas)),
            ("betas", .string(c.betas)),
            ("inits", .string(c.inits)),
            ("input_size", s.inputSize.map { .integer($0) } ?? .string("width")),
            ("reset", .string(s.reset.rawValue)),
            ("steps", .integer(s.steps)),
            ("input", .string(s.input.description)),
            ("target_variance", .number(s.targetVariance)),
            ("batch", .integer(s.batch)),
            ("networks", .integer(s.networks)),
            ("seed", .integer(Int(truncatingIfNeeded: s.seed))),
            ("weights", .string(s.weights?.rawValue ?? "per init")),
            ("tolerance", .number(s.tolerance)),
            ("compared_at", .string("t = 1")),
        ])
    }

    static func cellJSON(_ c: CellComparison) -> JSON {
        let last = c.layers.last
        return .object([
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
            ("layers", .array(c.layers.map { l in
                .object([
                    ("layer", .integer(l.layer)),
                    ("predicted", .object([
                        ("membrane_variance", .number(l.predictedVariance)),
                        ("rate", .number(l.predictedRate)),
                        ("finite_width_rate", .finite(l.finiteWidthRate)),
                        ("silent_probability", .finite(l.finiteWidthSilentProbability)),
                        ("fixed_point_slope", .finite(l.fixedPointSlope)),
                    ])),
                    ("empirical", .object([
                        ("membrane_variance", .number(l.empiricalVariance)),
                        ("membrane_variance_stderr", .finite(l.empiricalVarianceError)),
                        ("rate", .number(l.empiricalRate)),
                        ("rate_stderr", .finite(l.empiricalRateError)),
                        ("silent_fraction", .number(l.empiricalSilentFraction)),
                    ])),
                    ("deviation", .object([
                        ("relative_variance", .finite(l.relativeVarianceDeviation)),
                        ("rate_stderr", .finite(l.rateDeviationInStandardErrors)),
                        ("rate_stderr_finite_width", .finite(l.finiteWidthRateDeviationInStandardErrors)),
                    ])),
                ])
            })),
        ])
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
            + "rate_deviation_stderr_finite_width")
        for c in cells {
            for l in c.layers {
                lines.append([
                    "\(c.cell.width)", Format.exact(c.cell.theta), Format.exact(c.cell.beta), c.cell.scheme, "\(l.layer)",
                    Format.exact(l.predictedVariance), Format.exact(l.predictedRate), Format.exact(l.finiteWidthRate),
                    Format.exact(l.finiteWidthSilentProbability), Format.exact(l.empiricalVariance),
                    Format.exact(l.empiricalVarianceError), Format.exact(l.empiricalRate),
                    Format.exact(l.empiricalRateError), Format.exact(l.empiricalSilentFraction),
                    Format.exact(l.relativeVarianceDeviation), Format.exact(l.rateDeviationInStandardErrors),
                    Format.exact(l.finiteWidthRateDeviationInStandardErrors),
                ].joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// width x theta, one block per (beta, init): the depth to which the theory holds and the worst deviation.
    func table() -> String {
        var out = ["snn-theory \(SNNTheoryCommand.version) compare: mean field against simulation at t = 1 "
            + "(a layer agrees within \(Format.number(tolerance * 100))% + 3 standard errors)"]
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
        out.append("")
        for c in cells {
            out.append("width \(c.cell.width), theta \(Format.number(c.cell.theta)), beta \(Format.number(c.cell.beta)), "
                + "\(c.cell.scheme): \(c.verdict)")
        }
        return out.joined(separator: "\n")
    }
}

/// The exact finite-width prediction of the first step (THEORY.md section 5), for `compare`.
enum FiniteWidthPrediction {
    static func provider() -> ((Architecture, NeuronModel, InputEncoding, [Double]) throws
        -> [(meanRate: Double, silentProbability: Double)])?
    {
        { architecture, neuron, input, variances in
            try FiniteWidthChain(architecture: architecture, neuron: neuron, input: input, weightVariances: variances)
                .layers().map { ($0.meanRate, $0.silentProbability) }
        }
    }
}
