import Foundation
import Testing

@Suite struct ValidityCommandTests {
    /// At theta 1 and depth 100 the exact chain's references (THEORY.md section 5) put the boundary between widths 100
    /// (P(silent) 0.984) and 1000 (0.028 > 1%): the smallest width must lie above 1000; and where chi > 1
    /// (theta 1.5) no width qualifies, since the fixed point is unstable at any width.
    @Test func smallestWidthsFollowTheChainAndTheStabilityBoundary() throws {
        let result = try CLI.run(["validity", "--depth", "100", "--thetas", "0.5,1,1.5", "--widths", "100,1000",
                                  "--max-width", "4096", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let thresholds = try #require(result.json?["thresholds"] as? [[String: Any]])
        #expect(thresholds.count == 3)
        let atOne = try #require(thresholds[1]["smallest_width"] as? Int)
        #expect(atOne > 1000 && atOne <= 4096)
        let half = try #require(thresholds[0]["smallest_width"] as? Int)
        #expect(half < atOne)
        #expect(thresholds[2]["smallest_width"] is NSNull)
        let grid = try #require(result.json?["grid"] as? [[String: Any]])
        let width100 = try #require(grid.first { $0["width"] as? Int == 100 && $0["theta"] as? Double == 1 })
        #expect(abs((width100["silent_probability"] as? Double ?? 0) - 0.984) < 0.01)
    }

    /// Each refusal is one line naming the option it refuses (the last argument's option).
    @Test(arguments: [["validity", "--thetas", "1:0.5:3"], ["validity", "--thetas", "a,b"],
                      ["validity", "--max-width", "8"], ["validity", "--tolerance", "2"]])
    func badOptionsAreRefusedInOneLine(arguments: [String]) throws {
        let result = try CLI.run(arguments)
        #expect(result.status == 64)
        #expect(result.stderr.split(separator: "\n").count == 1)
        let option = String(arguments[arguments.count - 2].dropFirst(2))
        #expect(result.stderr.contains(option), "\(result.stderr)")
    }
}
