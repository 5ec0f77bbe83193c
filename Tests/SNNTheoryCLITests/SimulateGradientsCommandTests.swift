import Foundation
import SNNTestSupport
import Testing

@Suite struct SimulateGradientsCommandTests {
    static let run = ["simulate", "--depth", "3", "--width", "40", "--steps", "3", "--networks", "3", "--batch", "2",
                      "--seed", "4", "--format", "json"]

    /// --gradients adds a `gradients` object and leaves the forward pass's output as it is without it; the settings
    /// given are the ones reported, and the last layer's relative values are 1 exactly.
    @Test func gradientsAddToTheForwardReportWithoutChangingIt() throws {
        let plain = try CLI.run(Self.run)
        let withGradients = try CLI.run(Self.run + ["--gradients", "--surrogate", "fast_sigmoid:10", "--reset-grad", "attached"])
        #expect(plain.status == 0 && withGradients.status == 0, "\(withGradients.stderr)")
        let forward = try #require(plain.json), both = try #require(withGradients.json)
        #expect((forward["layers"] as? NSArray) == (both["layers"] as? NSArray))
        let gradients = try #require(both["gradients"] as? [String: Any])
        #expect(gradients["surrogate"] as? String == "fast_sigmoid:10.0")
        #expect(gradients["reset_grad"] as? String == "attached")
        let layers = try #require(gradients["layers"] as? [[String: Any]])
        #expect(layers.count == 3)
        for key in ["delta_variance_pooled_relative", "item_gradient_variance_relative", "batch_gradient_variance_relative"] {
            #expect(layers[2][key] as? Double == 1, "\(key)")
        }
        for layer in layers {
            #expect((layer["item_gradient_variance"] as? Double ?? 0) > 0)
            #expect((layer["steps"] as? [Any])?.count == 3)
        }
    }

    @Test func csvRowsCarryTheGradientColumns() throws {
        let result = try CLI.run(["simulate", "--depth", "2", "--width", "30", "--steps", "2", "--networks", "2",
                                  "--gradients", "--format", "csv"])
        #expect(result.status == 0, "\(result.stderr)")
        let (header, rows) = Read.csv(result.stdout)
        #expect(header.contains("delta_variance") && header.contains("batch_gradient_variance_relative_stderr"))
        #expect(rows.count == 4 && rows.allSatisfy { $0.count == header.count })
    }

    @Test(arguments: [
        (["--surrogate", "atan"], "surrogate: 'atan' is not allowed; expected only together with --gradients"),
        (["--reset-grad", "attached"], "reset-grad: 'attached' is not allowed; expected only together with --gradients"),
        (["--gradients", "--method", "reduced"], "method: 'reduced' is not allowed"),
        (["--gradients", "--output", "run.jsonl"], "gradients: 'with --output or --resume' is not allowed"),
        (["--gradients", "--surrogate", "atan:0"], "surrogate: 'atan:0' is not allowed"),
        (["--gradients", "--reset-grad", "kept"], "reset-grad: 'kept' is not allowed"),
    ])
    func refusesGradientSettingsItCannotHonour(arguments: [String], message: String) throws {
        let result = try CLI.run(["simulate", "--depth", "2", "--width", "20"] + arguments)
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }
}
