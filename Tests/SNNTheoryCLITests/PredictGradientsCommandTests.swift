import Foundation
import SNNTestSupport
import Testing

/// `predict --gradients` end to end: the JSON records the issue names, the solved scale, the refusals.
@Suite struct PredictGradientsCommandTests {
    /// Each layer record gains "gradient" with membrane_variance, weight_variance and chi, relative to the last layer
    /// (1 there); per step under "steps" with --steps; the verdict names the gradient.
    @Test func layerRecordsCarryTheGradient() throws {
        let result = try CLI.run(["predict", "--depth", "4", "--width", "500", "--steps", "3", "--gradients",
                                  "--surrogate", "atan:2", "--qmc-points", "1024", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(result.json)
        let layers = try #require(json["layers"] as? [[String: Any]])
        #expect(layers.count == 4)
        for (i, layer) in layers.enumerated() {
            let g = try #require(layer["gradient"] as? [String: Any])
            for key in ["membrane_variance", "weight_variance", "chi"] {
                let value = try #require(g[key] as? Double, "\(key)")
                #expect(value > 0)
                if i == 3 && key != "chi" { #expect(value == 1) }
            }
            #expect((g["steps"] as? [[String: Any]])?.count == 3)
        }
        #expect((json["verdict"] as? String)?.contains("gradients") == true)
        #expect((json["gradients"] as? [String: Any])?["surrogate"] as? String == "atan:2.0")
    }

    /// --solve both at theta 1, target variance 1: the Gaussian scale of THEORY.md section 7 (mpmath 0.429420920136667),
    /// and the gradient held.
    @Test func solveBothGivesTheCriticalGaussianWidth() throws {
        let result = try CLI.run(["predict", "--depth", "10", "--width", "1000", "--gradients", "--surrogate", "gaussian",
                                  "--solve", "both", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let gradients = try #require(result.json?["gradients"] as? [String: Any])
        let scale = try #require(gradients["surrogate_scale"] as? Double)
        #expect(abs(scale - 0.429420920136667) < 1e-9)
        #expect((gradients["verdict"] as? String)?.hasPrefix("gradients held") == true)
    }

    /// Kaiming silences the network by layer 3, and rect's h is 0 at u = 0: no gradient passes, and the output says so
    /// without a NaN anywhere (table and JSON, one and three steps).
    @Test(arguments: ["1", "3"])
    func aNetworkThatPassesNoGradientSaysSo(steps: String) throws {
        let base = ["predict", "--depth", "30", "--width", "100", "--init", "kaiming", "--steps", steps, "--gradients",
                    "--surrogate", "rect", "--qmc-points", "256"]
        let table = try CLI.run(base), json = try CLI.run(base + ["--format", "json"])
        #expect(table.status == 0 && json.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("no gradient passes layer 30"))
        #expect(!table.stdout.lowercased().contains("nan") && !json.stdout.lowercased().contains("nan"))
    }

    @Test(arguments: [
        (["--surrogate", "atan"], "surrogate: 'atan' is not allowed; expected only together with --gradients"),
        (["--solve", "surrogate"], "solve: 'surrogate' is not allowed; expected only together with --gradients"),
        (["--gradients", "--solve", "both", "--init", "kaiming"], "init: 'kaiming' is not allowed"),
        (["--gradients", "--solve", "surrogate", "--surrogate", "straight_through"], "surrogate: 'straight_through' is not allowed"),
        (["--gradients", "--solve", "everything"], "solve: 'everything' is not allowed; expected surrogate or both"),
    ])
    func refusesCombinationsItCannotAnswer(arguments: [String], message: String) throws {
        let result = try CLI.run(["predict", "--depth", "3", "--width", "100"] + arguments)
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
    }
}

/// `init --surrogate`: the scale travels with the weights.
@Suite struct InitSurrogateCommandTests {
    /// Under the paper's init at theta 1 the Gaussian's scale is section 7's critical width; four Kaiming layers
    /// collapse the activity (Var[u_4] = 4e-771, THEORY.md section 3), so no scale holds the gradient: null.
    @Test func eachInitializationGetsItsScaleOrNull() throws {
        let result = try CLI.run(["init", "--widths", "1000,1000,1000,1000,1000", "--init", "paper,kaiming", "--surrogate",
                                  "gaussian", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let records = try #require(result.json?["initializations"] as? [[String: Any]])
        let paper = try #require(records.first { $0["init"] as? String == "paper" })
        let kaiming = try #require(records.first { $0["init"] as? String == "kaiming" })
        let scale = try #require(paper["surrogate_scale"] as? Double)
        #expect(abs(scale - 0.429420920136667) < 1e-9)
        #expect(kaiming["surrogate"] is NSNull)
    }

    @Test func convolutionsAreRefusedInOneLine() throws {
        let result = try CLI.run(["init", "--widths", "1,8:3x3,flatten:26x26,10", "--surrogate", "atan"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("surrogate: 'atan' is not allowed; expected fully connected layers only"),
                "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
    }
}
