import Foundation
import SNNFormats
import SNNModel
import SNNReports
import SNNSimulator
import SNNVerification

/// `compare --gradients`: the backward mean field against the simulator's backward pass, cell by cell.
extension CompareCommand {
    /// What --gradients does not combine with, refused before any work.
    func checkGradientOptions() throws {
        guard backward.gradients else {
            if backward.surrogate != nil || backward.resetGradient != nil {
                throw ModelError.invalid(parameter: backward.surrogate != nil ? "surrogate" : "reset-grad",
                                         value: backward.surrogate ?? backward.resetGradient?.rawValue ?? "",
                                         allowed: "only together with --gradients")
            }
            return
        }
        _ = try Surrogate(parsing: backward.surrogate ?? "atan")
        for (name, given) in [("nir", graph.nir), ("output", output), ("resume", resume), ("shard", shard.map { "\($0)" }),
                              ("input-file", inputFile)] {
            if let given {
                throw ModelError.invalid(parameter: name, value: given,
                                         allowed: "no --\(name) with --gradients (a gradient comparison runs whole, in one process)")
            }
        }
        if method == .reduced {
            throw ModelError.invalid(parameter: "method", value: "reduced",
                                     allowed: "full with --gradients (the backward pass needs the weight matrices)")
        }
        for name in inits.value where name.hasPrefix("target-rate") {
            throw ModelError.invalid(parameter: "inits", value: name,
                                     allowed: "fixed initializations with --gradients (\(InitScheme.allowedNames))")
        }
        if networks < 2 {
            throw ModelError.invalid(parameter: "networks", value: "\(networks)",
                                     allowed: "at least 2 with --gradients (the deviations need standard errors)")
        }
    }

    func runGradients(_ plan: SweepPlan) throws {
        let surrogate = try Surrogate(parsing: backward.surrogate ?? "atan")
        let reset = backward.resetGradient ?? .detached
        for cell in plan.cells {
            let bytes = GradientConfiguration.estimatedBytes(
                widths: [plan.settings.inputSize ?? cell.width] + Array(repeating: cell.width, count: plan.settings.depth),
                steps: plan.settings.steps, batch: plan.settings.batch, networks: plan.settings.networks,
                threads: plan.settings.threads)
            if bytes > SimulationConfiguration.defaultMemoryLimit {
                throw CommandFailure(message: "memory: " + SimulationError.insufficientMemory(
                    estimatedBytes: bytes, limitBytes: SimulationConfiguration.defaultMemoryLimit).description)
            }
        }
        let progress = quiet ? nil : ProgressLine.forTerminal(label: "cells")
        let start = Date()
        var cells: [GradientCellComparison] = []
        for (k, cell) in plan.cells.enumerated() {
            progress?.message("cell \(k + 1)/\(plan.cells.count) (\(cell))")
            let settings = plan.settings.with(seed: SweepPlan.cellSeed(plan.settings.seed, cell))
            let result: GradientCellComparison
            do {
                result = try GradientComparison.compare(cell, scales: plan.scales[k], settings: settings,
                                                        surrogate: surrogate, resetGradient: reset)
            } catch let error as SimulationError {
                throw CommandFailure(message: "memory: " + error.description)
            }
            if verbose {
                progress?.finish()
                note("cell \(k + 1)/\(plan.cells.count) (\(cell)): " + result.verdict)
            }
            cells.append(result)
        }
        progress?.finish()
        if !quiet { note(String(format: "%d cells in %.1f s", cells.count, Date().timeIntervalSince(start))) }
        let settings: [(String, JSON)] = [
            ("depth", .integer(plan.settings.depth)), ("steps", .integer(plan.settings.steps)),
            ("input", .string(plan.settings.input.description)), ("reset", .string(plan.settings.reset.rawValue)),
            ("batch", .integer(plan.settings.batch)), ("networks", .integer(plan.settings.networks)),
            ("seed", .string(String(seed))), ("surrogate", .string(surrogate.description)),
            ("reset_grad", .string(reset.rawValue)),
            ("loss", .string("L = sum over batch items and steps t of g^T s_L[t], g ~ N(0, I) fixed per network")),
        ]
        let report = GradientCompareReport(settings: settings, cells: cells)
        if let plot { try Figures.write(report.figure(), to: plot) }
        print(format.text(json: report.json(), csv: report.csv(), table: report.table()), terminator: "")
    }
}
