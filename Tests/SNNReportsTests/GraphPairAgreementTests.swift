import Foundation
import NIR
import SNNModel
import SNNReports
import SNNSimulator
import SNNTestSupport
import SNNTheory
import Testing

/// THEORY.md section 9.4 on the conv fixture as `init --nir --init paper` leaves it (Sinabs convention, Bernoulli(0.2)
/// input): a 3 x 3 convolution (padding 1) -> multi-spike IF -> 2 x 2 sum pool -> 3 x 3 convolution (stride 2) -> LIF
/// -> flatten -> dense -> LIF. Neighbouring layer-1 neurons read common pixels, so the pooled counts reaching layer 2
/// are correlated, and so are the layer-2 neurons a dense row of layer 3 sums. With the pairs carried, the two
/// convolutional layers' first-step mean rates are within max(4 standard errors, 0.01) of the simulation for init
/// seeds 1-3 (the line); the dense layer 3 is not (THEORY.md 9.4).
@Suite struct GraphPairAgreementTests {
    static let input = InputEncoding.bernoulli(rate: 0.2)

    /// The initialized graph and its prediction (the one `init --nir` computes with the new weights, pairs carried).
    static func initialized(seed: UInt64) throws -> GraphPrediction {
        let path = Repository.path("Tests/Fixtures/nir/conv_net.nir")
        let file = try NIRGraph.read(path: path)
        let model = try file.networkGraph(file: path, convention: .sinabs, step: 1e-3)
        return try GraphInitialization(file: file, model: model, scheme: .paper, targetVariance: 1, input: input,
                                       seed: seed, keepBias: false).prediction
    }

    /// About 15 s of CPU in a debug build (the prediction with pairs about 4 s per seed).
    @Test func convFixtureLayersAgreeWithPairCovariances() throws {
        for seed: UInt64 in [1, 2, 3] {
            let paired = try Self.initialized(seed: seed)
            let graph = paired.graph
            let simulation = try GraphSimulation(graph: graph, steps: 1, batch: 1024, input: .encoding(Self.input),
                                                 seed: 2, threads: 2).run()
            #expect(paired.layers.count == 3 && simulation.layers.count == 3)
            #expect(paired.layers[1].correlatedPairs > 0 && paired.layers[2].correlatedPairs > 0)
            // Layers 1 and 2 (the convolutions). Layer 3, a dense layer of 10 neurons fed by the flattened layer 2,
            // misses for seeds 2 and 3 (-6.0 and -4.4 standard errors, 0.023 and 0.018 absolute; THEORY.md 9.4): not
            // asserted here, recorded there.
            for (layer, simulated) in simulation.layers.enumerated().prefix(2) {
                let rate = simulated.steps[0].rate!
                let allowed = max(4 * rate.standardError!, 0.01)
                let theory = paired.layers[layer].meanRate!
                #expect(abs(theory - rate.mean) <= allowed, "seed \(seed) layer \(layer + 1): \(theory) vs \(rate)")
            }
        }
    }
}
