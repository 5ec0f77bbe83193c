import Foundation
import SNNModel
import SNNReports
import Testing

/// `init`'s plan built from its options: one set of scales per scheme, then the target rate's and the file's, and
/// the refusals of a rate past 1/2 and of a scale that is not finite and positive.
@Suite struct InitPlanBuilderTests {
    static let layers = try! LayerShape.parse("100,200,50")
    static let neuron = try! NeuronModel(threshold: 1)

    func plan(schemes: [InitScheme] = [.kaiming], targetRate: Double? = nil, file: String? = nil) throws -> InitPlan {
        try InitPlan(layers: Self.layers, neuron: Self.neuron, input: .gaussian(std: 1), targetVariance: 1,
                     schemes: schemes, targetRate: targetRate, weightsFile: file, seed: 1)
    }

    @Test func kaimingScalesAreTwoOverFanIn() throws {
        let plan = try plan()
        #expect(plan.scales.map(\.name) == ["kaiming"])
        #expect(plan.scales[0].variances == [2.0 / 100, 2.0 / 200])
    }

    @Test func aTargetRateAddsGaussianScalesNamedForIt() throws {
        let plan = try plan(targetRate: 0.1)
        #expect(plan.scales.map(\.name) == ["kaiming", "target-rate:0.1"])
        #expect(plan.scales[1].distribution == .gaussian)
        #expect(plan.scales[1].variances.allSatisfy { $0.isFinite && $0 > 0 })
    }

    @Test func aTargetRateOfOneHalfIsRefused() throws {
        #expect(throws: ModelError.self) { try plan(targetRate: 0.5) }
    }

    @Test func aFilesScalesAreRescaledToTheseFanInsAndNamedAfterIt() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("my run#1.json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Written for fan-ins 10 and 20: the gain n Var[w] is kept, so Var[w] scales by 10/100 and 20/200.
        try Data(#"{"layers": [{"weight_variance": 0.5, "fan_in": 10}, {"weight_variance": 0.25, "fan_in": 20}]}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        let plan = try plan(file: path)
        #expect(plan.scales.last?.name == "from-my-run-1")
        let expected: [Double] = [0.5 * 10 / 100, 0.25 * 20 / 200]
        #expect(plan.scales.last?.variances == expected)
    }

    @Test func aMissingFileIsOneLineNamingTheOption() {
        #expect(throws: WeightsFile.Failure.self) { try plan(file: "/nonexistent/scales.json") }
        #expect((try? WeightsFile.variances(from: "/nonexistent/scales.json", fanIns: [1])) == nil)
    }
}
