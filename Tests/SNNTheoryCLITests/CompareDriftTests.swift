import Foundation
import Testing

/// `compare --steps T` with T > 1: the time-averaged rate against the multi-step mean field, the drift summary,
/// `--inits target-rate:R` and `--method reduced`.
@Suite struct CompareDriftTests {
    static func cells(_ result: CLIResult) throws -> [[String: Any]] {
        try #require(result.json?["cells"] as? [[String: Any]], "\(result.stderr)")
    }

    static func number(_ object: Any?, _ path: String...) throws -> Double {
        var value = object
        for key in path { value = (value as? [String: Any])?[key] }
        return try #require(value as? Double, "\(path) in \(String(describing: object))")
    }

    /// When the solver's scales drift at finite width, the table names the width-aware solver; with the paper's
    /// scales it does not. Width 300, 20 layers, T = 8, beta 0.5, target rate 0.1: the time-averaged rate at the
    /// last layer lies 23-36% below the multi-step mean field (about ten standard errors) in every seed tried (1 to 6,
    /// with the generator of this version and the one before), so its "outside from" layer is always set. Whether the
    /// t = 1 comparison still holds at that layer, which marks the row "(drift)", is chance (chi = 1.04 > 1 amplifies
    /// finite-width fluctuations): 3 of those 6 seeds now, 4 of 6 before. So the test holds the hint to the rows: it is
    /// printed exactly when a target-rate row is marked "(drift)".
    @Test func aDriftOfTheSolversScalesPointsToTheSamplerSolver() throws {
        let sweep = ["compare", "--widths", "300", "--thetas", "1", "--betas", "0.5", "--steps", "8", "--depth", "20",
                     "--method", "reduced", "--networks", "30", "--qmc-points", "1024", "--quiet"]
        let solved = try CLI.run(sweep + ["--inits", "target-rate:0.1"], timeout: 300)
        #expect(solved.status == 0, "\(solved.stderr)")
        let row = try #require(solved.stdout.split(separator: "\n").first { $0.contains("target-rate:0.1  0.") },
                               "\(solved.stdout)")
        let fields = row.split(separator: " ")
        let deviation = try #require(fields.first { $0.hasSuffix("%") }.flatMap { Double($0.dropLast()) }, "\(row)")
        #expect(deviation < -15, "\(row)")
        let outside = try #require(fields.firstIndex { $0.hasSuffix("%") }.map { fields[($0 + 1)...] }, "\(row)")
        #expect(outside.first.flatMap { Int($0) } != nil, "the drift has a first layer: \(row)")
        #expect(solved.stdout.contains("--solve-on sampler") == row.contains("(drift)"), "\(solved.stdout)")
        let paper = try CLI.run(sweep + ["--inits", "paper"], timeout: 300)
        #expect(paper.status == 0)
        #expect(!paper.stdout.contains("--solve-on sampler"))
    }

    /// The new fields are in every record with T > 1 (and in none with T = 1), and survive --resume and merge byte
    /// for byte in every format.
    @Test func timeAveragedFieldsRoundTripThroughResumeAndMerge() throws {
        let sweep = ["compare", "--widths", "40,60", "--thetas", "1", "--betas", "0.5", "--inits", "paper,target-rate:0.2",
                     "--steps", "4", "--depth", "3", "--networks", "5", "--qmc-points", "256", "--quiet"]
        let whole = try CLI.run(sweep + ["--format", "json"])
        #expect(whole.status == 0, "\(whole.stderr)")
        let cells = try Self.cells(whole)
        #expect(cells.map { $0["init"] as? String } == ["paper", "paper", "target-rate:0.2", "target-rate:0.2"])
        for cell in cells {
            let drift = try #require(cell["time_averaged_drift"] as? [String: Any])
            for key in ["layer", "simulated", "simulated_stderr", "simulated_spread", "mean_field", "mean_field_stderr",
                        "relative_deviation", "deviation_stderr", "outside_from_layer", "multi_step_drift"] {
                #expect(drift[key] != nil, "missing time_averaged_drift.\(key)")
            }
            #expect((cell["verdict"] as? String)?.contains("Time-averaged rate over T = 4 steps at layer 3") == true)
            for layer in try #require(cell["layers"] as? [[String: Any]]) {
                let p = layer["predicted"] as? [String: Any], e = layer["empirical"] as? [String: Any]
                let d = layer["deviation"] as? [String: Any]
                #expect(p?["time_averaged_rate"] is Double && p?["time_averaged_rate_stderr"] is Double)
                #expect(e?["time_averaged_rate"] is Double && e?["time_averaged_rate_spread"] is Double)
                #expect(d?["relative_time_averaged_rate"] is Double && d?["time_averaged_rate_stderr"] is Double)
            }
        }
        let model = try #require(whole.json?["model"] as? [String: Any])
        #expect(model["method"] as? String == "full" && model["qmc_points"] as? Int == 256)

        let first = SweepResumeTests.temporaryFile("drift1"), second = SweepResumeTests.temporaryFile("drift2")
        defer { for p in [first, second] { try? FileManager.default.removeItem(atPath: p) } }
        #expect(try CLI.run(sweep + ["--shard", "1/2", "--output", first]).status == 0)
        #expect(try CLI.run(sweep + ["--shard", "2/2", "--output", second]).status == 0)
        for format in ["table", "csv", "json"] {
            let reference = format == "json" ? whole : try CLI.run(sweep + ["--format", format])
            let merged = try CLI.run(["merge", first, second, "--format", format])
            #expect(merged.status == 0, "\(merged.stderr)")
            #expect(merged.stdout == reference.stdout, "format \(format)")
            if format == "csv" { #expect(merged.stdout.contains(",time_averaged_rate_deviation_stderr\n")) }
            if format == "table" { #expect(merged.stdout.contains("rate averaged over t = 1..4 at the last layer")) }
        }
        // Both shards in one file, its last line cut short: that cell runs again, the others are resumed as they are.
        let joined = try Data(contentsOf: URL(fileURLWithPath: first)) + Data(contentsOf: URL(fileURLWithPath: second))
        try joined.dropLast(60).write(to: URL(fileURLWithPath: first))
        let resumed = try CLI.run(sweep + ["--format", "json", "--resume", first])
        #expect(resumed.status == 0 && resumed.stderr.contains("cut short"), "\(resumed.stderr)")
        #expect(resumed.stdout == whole.stdout)
        // A file made with the full simulator is refused by the reduced method, naming it.
        let other = try CLI.run(sweep + ["--method", "reduced", "--resume", first])
        #expect(other.status == 64 && other.stderr.contains("method \"full\""), "\(other.stderr)")
        #expect(other.stderr.split(separator: "\n").count == 1)

        let single = try CLI.run(["compare", "--widths", "40", "--thetas", "1", "--depth", "2", "--networks", "3",
                                  "--format", "json"])
        let cell = try #require(try Self.cells(single).first)
        #expect(cell["time_averaged_drift"] == nil)
        #expect(!single.stdout.contains("time_averaged"))
    }

    /// Width 200, beta 0.5, theta 1, T = 10, the solver's scales for a time-averaged rate of 0.1 (fixed seeds).
    /// Measured with these settings: layer 1 at -0.03 (full) and -0.36 (reduced) combined standard errors from the
    /// mean field; layer 12 at 0.077 (full) and 0.070 (reduced) against 0.100, 9 and 12 combined standard errors below.
    @Test(arguments: ["full", "reduced"])
    func narrowNetworksDriftBelowTheMultiStepMeanField(method: String) throws {
        let result = try CLI.run(["compare", "--widths", "200", "--thetas", "1", "--betas", "0.5", "--steps", "10",
                                  "--inits", "target-rate:0.1", "--depth", "12", "--networks", "60", "--seed", "5",
                                  "--method", method, "--format", "json", "--quiet"], timeout: 120)
        #expect(result.status == 0, "\(result.stderr)")
        let cell = try #require(try Self.cells(result).first)
        let layers = try #require(cell["layers"] as? [[String: Any]])
        #expect(layers.count == 12)
        func averaged(_ layer: [String: Any]) throws -> (sim: Double, se: Double, mf: Double, mfSE: Double) {
            (try Self.number(layer, "empirical", "time_averaged_rate"),
             try Self.number(layer, "empirical", "time_averaged_rate_stderr"),
             try Self.number(layer, "predicted", "time_averaged_rate"),
             try Self.number(layer, "predicted", "time_averaged_rate_stderr"))
        }
        // Layer 1: the mean field holds within 4 combined standard errors.
        let one = try averaged(layers[0])
        let combinedOne = (one.se * one.se + one.mfSE * one.mfSE).squareRoot()
        #expect(abs(one.sim - one.mf) <= 4 * combinedOne, "layer 1: \(one)")
        // The last layer: more than 4 combined standard errors below the mean field.
        let last = try averaged(layers[11])
        let combined = (last.se * last.se + last.mfSE * last.mfSE).squareRoot()
        #expect(last.sim < last.mf - 4 * combined, "layer 12: \(last)")
        // The drift summary reports the numbers of the last layer, and its deviations follow from them.
        let drift = try #require(cell["time_averaged_drift"] as? [String: Any])
        #expect(drift["layer"] as? Int == 12)
        let sim = try Self.number(drift, "simulated"), mf = try Self.number(drift, "mean_field")
        #expect(sim == last.sim && mf == last.mf)
        #expect(try Self.number(drift, "simulated_stderr") == last.se)
        #expect(try Self.number(drift, "mean_field_stderr") == last.mfSE)
        #expect(abs(try Self.number(drift, "relative_deviation") - (sim - mf) / mf) <= 1e-12)
        #expect(abs(try Self.number(drift, "deviation_stderr") - (sim - mf) / combined) <= 1e-9)
        let spread = try Self.number(drift, "simulated_spread")
        #expect(abs(spread - last.se * 60.0.squareRoot()) <= 1e-9 * spread)
        let start = try #require(drift["outside_from_layer"] as? Int)
        #expect(start >= 2 && start <= 12)
        let verdict = try #require(cell["verdict"] as? String)
        #expect(verdict.contains("from layer \(start) on, below it"), "\(verdict)")
    }

    static let invalidArguments: [([String], String)] = [
        (["compare", "--inits", "target-rate:0.7", "--steps", "1"], "inits"),
        (["compare", "--inits", "target-rate:x"], "inits"),
        (["compare", "--inits", "paper,target-rate:1"], "inits"),
        (["compare", "--method", "reduced", "--batch", "2"], "batch"),
        (["compare", "--method", "reduced", "--weights", "uniform"], "weights"),
        (["compare", "--method", "x"], "method"),
        (["compare", "--qmc-points", "10", "--steps", "3"], "qmc-points"),
        (["compare", "--method", "reduced", "--widths", "10", "--steps", "2", "--depth", "100000",
          "--networks", "10000000"], "networks"),
    ]

    @Test(arguments: invalidArguments)
    func badInputIsRefusedInOneLineNamingTheOption(arguments: [String], option: String) throws {
        let result = try CLI.run(arguments, timeout: 30)
        #expect(result.status == 64)
        #expect(result.stderr.split(separator: "\n").count == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("error: \(option):"), "stderr: \(result.stderr)")
    }

    /// The reduced sampler keeps no weight matrix: a width whose matrices would not fit runs with it.
    @Test func reducedMethodIsNotHeldToTheWeightMatrixMemoryGuard() throws {
        let wide = ["compare", "--widths", "1000000", "--thetas", "1", "--depth", "2", "--networks", "2", "--steps", "3",
                    "--threads", "2", "--quiet"]
        let full = try CLI.run(wide)
        #expect(full.status == 64 && full.stderr.contains("memory"), "\(full.stderr)")
        let reduced = try CLI.run(wide + ["--method", "reduced"])
        #expect(reduced.status == 0, "\(reduced.stderr)")
    }
}
