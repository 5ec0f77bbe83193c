import NIR
import SNNModel
import SNNSimulator
import SNNTestSupport
import SNNTheory
import Testing

/// `GraphPrediction` (the first step, neuron by neuron, currents taken as Gaussian) against `GraphSimulation` on the
/// fixtures' own weights, at step 1. Tolerance: 4 standard errors of the simulation plus 1e-5 relative (Float32
/// parameters) and 1e-12 absolute (rates the theory puts at 1e-50 where the simulation counts none).
@Suite struct GraphTheoryAgreementTests {
    static func graph(_ file: String, convention: NIRConvention, step: Double) throws -> NetworkGraph {
        let path = Repository.path(file)
        return try NIRGraph.read(path: path).networkGraph(file: path, convention: convention, step: step)
    }

    static func agrees(_ theory: Double, _ simulated: Estimate) -> Bool {
        abs(theory - simulated.mean) <= 4 * simulated.standardError! + 1e-5 * abs(theory) + 1e-12
    }

    /// 512-wide layers of 512 uniform inputs each: the Gaussian current is good. Layer 1 spikes (rate about 0.007);
    /// from layer 2 on nothing spikes, layer 2's membrane still varies with layer 1's spikes, and layers 3-8 hold
    /// their biases, the same in every sample.
    @Test func mlpLayersAgreeWithThePrediction() throws {
        let graph = try Self.graph("Tests/Fixtures/nir/mlp_pytorch_default.nir", convention: .exact, step: 1e-4)
        let prediction = GraphPrediction(graph, input: .bernoulli(rate: 0.5))
        let simulation = try GraphSimulation(graph: graph, steps: 1, batch: 2048,
                                             input: .encoding(.bernoulli(rate: 0.5)), seed: 1, threads: 2).run()
        #expect(prediction.layers.map(\.node) == simulation.layers.map(\.node))
        #expect(simulation.layers[0].steps[0].rate!.mean > 0.005)
        for (theory, simulated) in zip(prediction.layers, simulation.layers) {
            let step = simulated.steps[0]
            #expect(Self.agrees(theory.meanRate!, step.rate!), "\(simulated.name) rate: \(theory.meanRate!) vs \(step.rate!)")
            #expect(Self.agrees(theory.membraneVariance, step.membraneVariance),
                    "\(simulated.name) Var[u]: \(theory.membraneVariance) vs \(step.membraneVariance)")
        }
    }

    /// The Sinabs CNN (exact convention, a step of 1: IF neurons with leak 1, gain 1, threshold 1) on Bernoulli(0.2)
    /// input. Layer 1's membrane variance is exact arithmetic on the weights and agrees. Its rate does not: 93% of
    /// its neurons have one input carrying more than 10% of the current's variance (a 2 x 5 x 5 window of skewed
    /// weights), the sum of 50 Bernoulli terms is far from Gaussian in the tail, and the prediction is about 11% too
    /// high, tens of standard errors. (Later layers miss in both rate and variance, as neighbouring outputs of a
    /// convolution share inputs and the prediction takes them as independent.)
    @Test func sinabsFirstLayerVarianceAgreesAndItsRateIsOverestimated() throws {
        let graph = try Self.graph("Tests/Fixtures/nir/real/cnn_sinabs.nir", convention: .exact, step: 1)
        let prediction = GraphPrediction(graph, input: .bernoulli(rate: 0.2))
        let simulation = try GraphSimulation(graph: graph, steps: 1, batch: 512,
                                             input: .encoding(.bernoulli(rate: 0.2)), seed: 1, threads: 2).run()
        let theory = prediction.layers[0], step = simulation.layers[0].steps[0]
        #expect(theory.name == "1" && simulation.layers[0].node == theory.node)
        #expect(theory.dominatedFraction > 0.9)
        #expect(Self.agrees(theory.membraneVariance, step.membraneVariance),
                "Var[u]: \(theory.membraneVariance) vs \(step.membraneVariance)")
        let rate = step.rate!
        #expect(theory.meanRate! - rate.mean > 10 * rate.standardError!, "rate: \(theory.meanRate!) vs \(rate)")
    }
}
