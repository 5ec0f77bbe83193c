import Foundation
import SNNModel
import SNNSimulator
import Testing

/// `WeightMatrix.rowMajor` (the weights `snn-theory init --npy` exports) against the simulator itself.
@Suite struct WeightMatrixTests {
    /// One layer fed by analog inputs: the potentials at t = 1 are u = W x with the simulator's own W and x. The
    /// exported matrix, multiplied by the same x in Double, must give the simulator's mean, variance and rate up to
    /// the rounding of its Float32 products (about 1e-6 relative here).
    @Test(arguments: [WeightDistribution.gaussian, .uniform])
    func exportedMatrixIsTheSimulatorsFirstNetwork(distribution: WeightDistribution) throws {
        let (inputs, outputs, seed) = (64, 200, UInt64(5))
        let variance = 1.0 / Double(inputs)
        let configuration = try SimulationConfiguration(
            network: Network(architecture: Architecture(widths: [inputs, outputs]),
                             neuron: NeuronModel(threshold: 0.5),
                             steps: 1, input: .gaussian(std: 1),
                             initialization: .variances([variance], name: "given"), weightDistribution: distribution),
            networks: 1, seed: seed)
        let first = Simulator.run(configuration).layers[0].steps[0]
        let w = WeightMatrix.rowMajor(seed: seed, layer: 1, outputs: outputs, inputs: inputs, variance: variance,
                                      distribution: distribution)
        var x = [Float](repeating: 0, count: inputs)
        var rng = Xoshiro256StarStar(seed: seed, network: 0, layer: 0, block: 0)
        x.withUnsafeMutableBufferPointer { rng.fillNormal($0.baseAddress!, count: inputs, scale: 1) }
        let u = (0..<outputs).map { i in (0..<inputs).reduce(0.0) { $0 + Double(w[i * inputs + $1]) * Double(x[$1]) } }
        let mean = u.reduce(0, +) / Double(outputs)
        let unbiased = u.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(outputs - 1)
        let rate = Double(u.filter { $0 > 0.5 }.count) / Double(outputs)
        #expect(abs(first.networkMembraneMeans[0] - mean) < 1e-5)
        #expect(abs(first.networkMembraneVariances[0] / unbiased - 1) < 1e-5)
        #expect(first.networkRates[0] == rate)
    }

    /// Row i holds output neuron i's weights: row-major (out, in) is the transpose of the simulator's columns.
    @Test func rowsAreOutputNeuronsAndColumnsTheInputStreams() {
        let w = WeightMatrix.rowMajor(seed: 9, layer: 2, outputs: 70, inputs: 130, variance: 0.25, distribution: .gaussian)
        var column = [Float](repeating: 0, count: 70)
        var rng = Xoshiro256StarStar(seed: 9, network: 0, layer: 2, block: 129)
        column.withUnsafeMutableBufferPointer { rng.fillNormal($0.baseAddress!, count: 70, scale: 0.5) }
        #expect((0..<70).allSatisfy { w[$0 * 130 + 129] == column[$0] })
    }
}
