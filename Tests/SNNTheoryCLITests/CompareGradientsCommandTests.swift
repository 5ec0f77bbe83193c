import Foundation
import SNNTestSupport
import Testing

@Suite struct CompareGradientsCommandTests {
    /// At width 400, depth 6, T = 1, the simulated Var[delta_l] / Var[delta_6] lies within 4 of its standard errors
    /// (40 networks, a fixed seed) of the finite-width prediction at every layer, for a surrogate well inside its
    /// stable range and one whose gain is far from 1; each reported deviation is (simulated - predicted) / standard
    /// error of the reported numbers.
    @Test(arguments: ["gaussian:0.5", "fast_sigmoid:25"])
    func predictionFollowsTheSimulatedBackwardPass(surrogate: String) throws {
        let result = try CLI.run(["compare", "--gradients", "--surrogate", surrogate, "--widths", "400", "--thetas", "1",
                                  "--depth", "6", "--networks", "40", "--batch", "4", "--seed", "11", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(result.json)
        let cells = try #require(json["cells"] as? [[String: Any]])
        #expect(cells.count == 1)
        let layers = try #require(cells[0]["layers"] as? [[String: Any]])
        #expect(layers.count == 6)
        for layer in layers.dropLast() {
            let delta = try #require(layer["membrane_variance"] as? [String: Any])
            let simulated = try #require(delta["simulated"] as? Double)
            let error = try #require(delta["simulated_stderr"] as? Double)
            let finite = try #require(delta["finite_width"] as? Double)
            let deviation = try #require(delta["finite_width_deviation"] as? Double)
            #expect(abs(deviation - (simulated - finite) / error) <= 1e-9 * max(1, abs(deviation)))
            #expect(abs(deviation) <= 4, "layer \(layer["layer"] ?? "?"): \(deviation) standard errors")
        }
        let verdict = try #require(cells[0]["verdict"] as? String)
        #expect(verdict.contains("holds at every layer"), "\(verdict)")
    }

    /// The CSV has one row per cell and layer; the figure is written.
    @Test func csvRowsAndFigure() throws {
        let plot = Scratch.path("compare-gradients", suffix: ".svg")
        let result = try CLI.run(["compare", "--gradients", "--widths", "60,80", "--thetas", "1", "--depth", "3",
                                  "--steps", "2", "--networks", "3", "--format", "csv", "--plot", plot])
        #expect(result.status == 0, "\(result.stderr)")
        let (header, rows) = Read.csv(result.stdout)
        #expect(header.contains("delta_variance_simulated_stderr") && header.contains("weight_deviation"))
        #expect(rows.count == 6 && rows.allSatisfy { $0.count == header.count })
        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        #expect(svg.hasPrefix("<svg") || svg.hasPrefix("<?xml"))
    }

    @Test(arguments: [
        (["--surrogate", "atan"], "surrogate: 'atan' is not allowed; expected only together with --gradients"),
        (["--gradients", "--inits", "target-rate:0.1"], "inits: 'target-rate:0.1' is not allowed"),
        (["--gradients", "--networks", "1"], "networks: '1' is not allowed"),
        (["--gradients", "--method", "reduced"], "method: 'reduced' is not allowed"),
        (["--gradients", "--resume", "cells.jsonl"], "resume: 'cells.jsonl' is not allowed"),
        (["--gradients", "--shard", "1/2"], "shard: '1/2' is not allowed"),
        (["--gradients", "--surrogate", "atan:-1"], "surrogate: 'atan:-1' is not allowed"),
    ])
    func refusesWhatItCannotHonour(arguments: [String], message: String) throws {
        let result = try CLI.run(["compare", "--widths", "20", "--thetas", "1", "--depth", "2"] + arguments)
        #expect(result.status == 64)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }
}
