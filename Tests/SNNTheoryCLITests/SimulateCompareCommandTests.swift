import Foundation
import Testing

/// End-to-end checks of `snn-theory simulate` and `snn-theory compare`.
@Suite struct SimulateCompareCommandTests {
    @Test func sameSeedGivesIdenticalJSONWithOneAndTwoThreads() throws {
        let common = ["simulate", "--depth", "6", "--width", "200", "--steps", "3", "--networks", "6", "--batch", "4",
                      "--seed", "42", "--format", "json"]
        let one = try CLI.run(common + ["--threads", "1"]), two = try CLI.run(common + ["--threads", "2"])
        #expect(one.status == 0 && two.status == 0)
        #expect(!one.stdout.isEmpty)
        #expect(one.stdout == two.stdout)
        // Throughput goes to stderr, never into the results.
        #expect(one.stderr.contains("synaptic events/s"))
        let layers = try #require(one.json?["layers"] as? [[String: Any]])
        #expect(layers.count == 6)
        let first = layers[0]
        for key in ["membrane_variance", "membrane_variance_stderr", "rate", "rate_stderr", "silent_fraction", "steps"] {
            #expect(first[key] != nil, "missing \(key)")
        }
        #expect((first["steps"] as? [[String: Any]])?.count == 3)
    }

    @Test func differentSeedsGiveDifferentNetworks() throws {
        let common = ["simulate", "--depth", "3", "--width", "100", "--networks", "3", "--format", "json"]
        let a = try CLI.run(common + ["--seed", "1"]), b = try CLI.run(common + ["--seed", "2"])
        // The layers only: the records also carry the seed itself, which differs whatever the simulation does.
        let layersA = try #require(a.json?["layers"] as? [Any]), layersB = try #require(b.json?["layers"] as? [Any])
        #expect(layersA.count == 3 && layersB.count == 3)
        #expect(!(layersA as NSArray).isEqual(to: layersB))
    }

    /// Solved scales are for Gaussian weights: with --init pytorch (whose own weights are uniform) the simulation of
    /// --target-rate scales still draws Gaussian weights, unless --weights says otherwise.
    @Test func solvedScalesAreSimulatedWithGaussianWeights() throws {
        let common = ["simulate", "--depth", "3", "--width", "50", "--steps", "3", "--networks", "2", "--init", "pytorch",
                      "--format", "json"]
        let solved = try CLI.run(common + ["--target-rate", "0.1"])
        #expect(solved.status == 0, "\(solved.stderr)")
        #expect((solved.json?["model"] as? [String: Any])?["weights"] as? String == "gaussian")
        let plain = try CLI.run(common)
        #expect((plain.json?["model"] as? [String: Any])?["weights"] as? String == "uniform")
    }

    /// `--solve-on sampler` solves the scales on sampled networks of the given width, names that in the output, and
    /// the simulated networks (independent of the solver's) follow the target: at width 300 with 48 solver networks
    /// the time-averaged rate of each of 6 layers lies within 4 combined standard errors, SE x sqrt(1 + R / K), of 0.1.
    @Test func scalesSolvedOnTheSamplerHoldTheTargetInTheSimulation() throws {
        let result = try CLI.run(["simulate", "--method", "reduced", "--depth", "6", "--width", "300", "--beta", "0.5",
                                  "--steps", "8", "--target-rate", "0.1", "--solve-on", "sampler",
                                  "--solver-networks", "48", "--networks", "48", "--seed", "4", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let model = try #require(result.json?["model"] as? [String: Any])
        #expect((model["init"] as? String)?.contains("solved on 48 sampled networks") == true)
        #expect(result.stderr.contains("sampler passes"))
        let layers = try #require(result.json?["layers"] as? [[String: Any]])
        #expect(layers.count == 6)
        for layer in layers {
            let rate = try #require(layer["time_averaged_rate"] as? Double)
            let error = try #require(layer["time_averaged_rate_stderr"] as? Double) * 2.0.squareRoot()
            #expect(abs(rate - 0.1) <= 4 * error, "layer \(layer["layer"] ?? 0): \(rate) ± \(error)")
        }
    }

    @Test func compareReportsCellsLayersAndDeviations() throws {
        let result = try CLI.run(["compare", "--widths", "100,200", "--thetas", "1,2", "--depth", "8",
                                  "--networks", "8", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let cells = try #require(result.json?["cells"] as? [[String: Any]])
        #expect(cells.count == 4)
        let cell = cells[0]
        #expect(cell["width"] as? Int == 100 && cell["theta"] as? Double == 1)
        #expect(cell["verdict"] is String)
        let layers = try #require(cell["layers"] as? [[String: Any]])
        #expect(layers.count == 8)
        for key in ["predicted", "empirical", "deviation"] { #expect(layers[0][key] is [String: Any]) }
        let silent = try #require(cell["silent_fraction"] as? [String: Any])
        #expect(silent["empirical"] is Double)
    }

    @Test func compareOutputFileHoldsOneWholeJSONLinePerCell() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cells-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try CLI.run(["compare", "--widths", "50,100", "--thetas", "0.5,1,1.5", "--depth", "5",
                                  "--networks", "4", "--output", path])
        #expect(result.status == 0)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 6)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["verdict"] is String)
        }
    }

    /// Ctrl-C keeps what is finished: the cells done so far are printed, the file holds only whole lines.
    @Test func interruptedCompareKeepsTheFinishedCells() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cells-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = ["compare", "--widths", "60,70,80,90,100,110,120,130", "--thetas", "0.5,1", "--depth", "40",
                             "--networks", "200", "--output", path, "--format", "json"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait for at least one finished cell, then interrupt.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), text.contains("\n") { break }
            usleep(20_000)
        }
        process.interrupt()
        let printed = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "")  // the file ends with a newline: no truncated record
        let records = lines.dropLast()
        #expect(records.count >= 1 && records.count < 16)
        for line in records { #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil) }
        let json = try JSONSerialization.jsonObject(with: printed) as? [String: Any]
        let cells = try #require(json?["cells"] as? [[String: Any]])
        #expect(cells.count >= records.count)
    }

    static let invalidArguments: [([String], String)] = [
        (["simulate", "--networks", "0"], "networks"),
        (["simulate", "--batch", "-1"], "batch"),
        (["simulate", "--threads", "0"], "threads"),
        (["simulate", "--weights", "cauchy"], "weights"),
        (["simulate", "--theta", "-1"], "theta"),
        (["simulate", "--init", "bogus"], "init"),
        (["simulate", "--method", "exact"], "method"),
        (["simulate", "--method", "reduced", "--batch", "4"], "batch"),
        (["simulate", "--method", "reduced", "--weights", "uniform"], "weights"),
        (["simulate", "--weights-from", "/nonexistent/solved.json", "--depth", "2"], "weights-from"),
        (["simulate", "--target-rate", "1.5"], "target-rate"),
        (["simulate", "--solve-on", "sampler"], "solve-on"),
        (["simulate", "--target-rate", "0.1", "--weights-from", "solved.json"], "weights-from"),
        (["simulate", "--target-rate", "0.1", "--solve-on", "network"], "solve-on"),
        (["simulate", "--target-rate", "0.1", "--solve-on", "sampler", "--solver-networks", "1"], "solver-networks"),
        (["simulate", "--target-rate", "0.1", "--solve-on", "sampler", "--weights", "uniform"], "weights"),
        (["simulate", "--target-rate", "0.1", "--solve-on", "sampler", "--width", "100000", "--depth", "100",
          "--steps", "50", "--solver-networks", "1000"], "solver-networks"),
        (["simulate", "--method", "reduced", "--depth", "1", "--width", "1", "--steps", "1024", "--target-rate", "0.1",
          "--solve-on", "sampler", "--solver-networks", "20000", "--networks", "2"], "solver-networks"),
        (["simulate", "--target-rate", "0.9", "--solve-on", "sampler", "--depth", "2", "--width", "50",
          "--steps", "2", "--solver-networks", "4", "--networks", "2"], "target-rate"),
        (["simulate", "--width", "100000", "--depth", "2", "--batch", "1000000", "--steps", "1000"], "memory"),
        (["compare", "--widths", "100,0,10"], "widths"),
        (["compare", "--widths", ""], "widths"),
        (["compare", "--thetas", "1,-2"], "thetas"),
        (["compare", "--thetas", "nan"], "thetas"),
        (["compare", "--betas", "2"], "betas"),
        (["compare", "--inits", "paper,nope"], "init"),
        (["compare", "--tolerance", "0"], "tolerance"),
        (["compare", "--networks", "0"], "networks"),
        (["compare", "--networks", "1"], "networks"),
        (["compare", "--widths", "100000000", "--batch", "100000", "--steps", "100"], "memory"),
    ]

    @Test(arguments: invalidArguments)
    func invalidInputGetsOneLineNamingTheParameter(arguments: [String], parameter: String) throws {
        let result = try CLI.run(arguments, timeout: 30)
        #expect(!result.terminatedBySignal)
        #expect(result.status > 0 && result.status < 128)
        #expect(result.stderr.split(separator: "\n").count == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains(parameter), "stderr: \(result.stderr)")
    }
}
