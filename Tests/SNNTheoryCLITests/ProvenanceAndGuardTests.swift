import Foundation
import Testing

/// A result file alone reproduces the run: the swept lists and the conventions are in every command's model record;
/// and work that cannot finish or cannot succeed is refused before it starts, in one line naming the option.
@Suite struct ProvenanceAndGuardTests {
    @Test func validityPhaseAndAdviseRecordTheirSweepsAndConventions() throws {
        let validity = try CLI.run(["validity", "--depth", "4", "--thetas", "0.5,1.5", "--widths", "20,40",
                                    "--format", "json"])
        let vm = try #require(validity.json?["model"] as? [String: Any], "\(validity.stderr)")
        #expect(vm["thetas"] as? [Double] == [0.5, 1.5])
        #expect(vm["widths"] as? [Int] == [20, 40])
        #expect((vm["conventions"] as? String)?.contains("theta") == true)

        let phase = try CLI.run(["phase", "--depth", "3", "--width", "30", "--thetas", "1,2", "--target-variances",
                                 "0.5,1,2", "--steps", "3", "--beta", "0.7", "--reset", "zero", "--qmc-points", "128",
                                 "--format", "json"])
        let pm = try #require(phase.json?["model"] as? [String: Any], "\(phase.stderr)")
        #expect(pm["thetas"] as? [Double] == [1, 2])
        #expect(pm["target_variances"] as? [Double] == [0.5, 1, 2])
        #expect(pm["steps"] as? Int == 3 && pm["beta"] as? Double == 0.7 && pm["reset"] as? String == "zero")
        #expect((pm["conventions"] as? String)?.contains("reset to zero") == true)
        #expect(pm["qmc_points"] as? Int == 128 && pm["seed"] as? Int == 1)

        let advise = try CLI.run(["advise", "--depth", "3", "--width", "30", "--format", "json"])
        let am = try #require(advise.json?["model"] as? [String: Any], "\(advise.stderr)")
        #expect(am["steps"] as? Int == 1 && am["negligible_probability"] is Double)
        #expect((am["conventions"] as? String)?.contains("first time step") == true)
    }

    /// The CSV of phase and validity carries the same model record on a comment line.
    @Test func csvCarriesTheModelRecord() throws {
        for arguments in [["validity", "--depth", "4", "--thetas", "1", "--widths", "20"],
                          ["phase", "--depth", "3", "--width", "30", "--thetas", "1", "--target-variances", "1"]]
        {
            let result = try CLI.run(arguments + ["--format", "csv"])
            let line = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("# model: ") })
            let model = try JSONSerialization.jsonObject(with: Data(line.dropFirst("# model: ".count).utf8))
            #expect((model as? [String: Any])?["command"] as? String == arguments[0])
        }
    }

    @Test(arguments: [
        (["predict", "--depth", "3", "--width", "20", "--target-rate", "0.5"], "target-rate"),
        (["simulate", "--depth", "2", "--width", "20", "--networks", "2", "--target-rate", "0.7"], "target-rate"),
        (["predict", "--width", "70000", "--depth", "2", "--finite-width"], "finite-width"),
        (["predict", "--steps", "1024", "--depth", "100"], "steps"),
        (["phase", "--steps", "64"], "steps"),
        (["predict", "--theta", "1e6", "--target-variance", "1e-12", "--depth", "3"], "theta"),
        (["predict", "--target-variance", "1e13"], "target-variance"),
        (["predict", "--init", "sigma-w:1e7"], "init"),
        (["simulate", "--depth", "2", "--width", "20", "--plot", "/nonexistent-directory/p.svg"], "plot"),
    ])
    func refusedBeforeAnyWork(arguments: [String], parameter: String) throws {
        let start = Date()
        let result = try CLI.run(arguments, timeout: 30)
        #expect(result.status == 64)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(result.stderr.contains(parameter), "\(result.stderr)")
        // Refused in validation, before any computation: well within a few seconds even for a debug build.
        #expect(Date().timeIntervalSince(start) < 5)
    }

    /// A time-averaged rate of 0.6 is out of reach of zero-mean currents (at large gains each step's rate tends to
    /// 1/2, whatever the leak and reset): the solver refuses it in one line naming --target-rate and reports the
    /// highest rate it reached, which lies below the target (0.50 at these settings), and never crashes.
    @Test func solverRefusesAnUnreachableRateAndSaysHowFarItGot() throws {
        let result = try CLI.run(["predict", "--depth", "3", "--width", "50", "--steps", "3", "--target-rate", "0.6",
                                  "--qmc-points", "256", "--format", "json"])
        #expect(!result.terminatedBySignal)
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains("target-rate"))
        let reached = result.stderr.split(separator: "at most ").last.flatMap { Double($0.prefix { $0 != ")" }) }
        #expect(reached.map { $0 > 0.4 && $0 < 0.6 } == true, "\(result.stderr)")
    }
}
