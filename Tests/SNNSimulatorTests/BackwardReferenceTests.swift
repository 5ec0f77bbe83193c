import Foundation
import SNNModel
import SNNSimulator
import Testing

/// The backward pass against `scripts/reference/backward_numpy.py`, an independent float64 implementation that
/// differentiates the forward pass of THEORY.md section 1 by reverse mode on a tape (it derives no backward equation
/// by hand) with the surrogates written from snnTorch's and SpikingJelly's sources. Each case goes to the script as
/// a JSON file of settings, inputs, weights and readout drawn here from the simulator's documented streams (not taken
/// from the simulator's output); the script returns potentials, spikes, deltas, the batch-summed weight gradients
/// and the four per-network variances, which must agree with `Simulator.trace` to 1e-5: per layer, the largest
/// difference over the largest reference magnitude (spikes exactly).
///
/// Needs python3 with NumPy on PATH (`python3 -m pip install numpy`); without them the test is skipped, saying so.
@Suite struct BackwardReferenceTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../scripts/reference/backward_numpy.py").standardized.path

    static let numpyAvailable: Bool = (try? python(["-c", "import numpy"]).status) == 0

    static func python(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let data = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Surrogates with scales off their defaults where they have one, so the parameter is exercised too.
    static let surrogates = ["atan:3", "fast_sigmoid:10", "sigmoid:5", "triangular:0.7", "straight_through",
                             "spike_rate_escape:1.5", "rect:0.8", "piecewise_quadratic:0.6", "gaussian:0.5"]

    /// Every surrogate with both resets and both reset gradients (36 cases); widths 3-20, depth 1-4, T 1-5, batch
    /// 1-3, spike input mostly, analog input in every fourth case; weight scales that keep the layers active.
    static func cases() throws -> [GradientConfiguration] {
        var rng = Xoshiro256StarStar(seed: 19)
        var cases: [GradientConfiguration] = []
        var index = 0
        for name in surrogates {
            for reset in Reset.allCases {
                for resetGradient in ResetGradient.allCases {
                    let depth = Int.random(in: 1...4, using: &rng)
                    let widths = (0...depth).map { _ in Int.random(in: 3...20, using: &rng) }
                    let input: InputEncoding = index % 4 == 3 ? .gaussian(std: 0.8) : .bernoulli(rate: 0.5)
                    let variances = (1...depth).map { l in
                        (l == 1 ? 2.0 / input.secondMoment : 6.0) / Double(widths[l - 1])
                    }
                    let network = try Network(
                        architecture: Architecture(widths: widths),
                        neuron: NeuronModel(threshold: 1, leak: 0.8, reset: reset),
                        steps: Int.random(in: 1...5, using: &rng), input: input,
                        initialization: .variances(variances, name: "given"),
                        weightDistribution: index % 3 == 2 ? .uniform : .gaussian)
                    let simulation = try SimulationConfiguration(network: network, batch: Int.random(in: 1...3, using: &rng),
                                                                 networks: 2, seed: UInt64(100 + index))
                    cases.append(try GradientConfiguration(simulation: simulation, surrogate: Surrogate(parsing: name),
                                                           resetGradient: resetGradient))
                    index += 1
                }
            }
        }
        return cases
    }

    /// The case file: inputs, weights and readout drawn from the streams the simulator documents.
    static func caseJSON(_ g: GradientConfiguration, network r: Int) -> [String: Any] {
        let c = g.simulation, widths = c.architecture.widths, depth = c.architecture.depth
        let inputs: [[[Double]]] = (0..<c.batch).map { b in
            var rng = Xoshiro256StarStar(seed: c.seed, network: r, layer: 0, block: b)
            switch c.input {
            case let .bernoulli(rate):
                let threshold = Xoshiro256StarStar.bernoulliThreshold(probability: rate)
                return (0..<c.steps).map { _ in (0..<widths[0]).map { _ in rng.nextBernoulli(threshold53: threshold) ? 1 : 0 } }
            case let .gaussian(std):
                var x = [Float](repeating: 0, count: widths[0])
                x.withUnsafeMutableBufferPointer { rng.fillNormal($0.baseAddress!, count: widths[0], scale: Float(std)) }
                return Array(repeating: x.map(Double.init), count: c.steps)
            }
        }
        let weights = (1...depth).map { l in
            WeightMatrix.rowMajor(seed: c.seed, network: r, layer: l, outputs: widths[l], inputs: widths[l - 1],
                                  variance: c.weightVariances[l - 1], distribution: c.weightDistribution).map(Double.init)
        }
        var readout = [Float](repeating: 0, count: widths[depth])
        var rng = Xoshiro256StarStar(seed: c.seed, network: r, layer: depth + 1, block: 0)
        readout.withUnsafeMutableBufferPointer { rng.fillNormal($0.baseAddress!, count: widths[depth], scale: 1) }
        return [
            "widths": widths, "steps": c.steps, "batch": c.batch,
            "theta": Double(Float(c.neuron.threshold)), "beta": Double(Float(c.neuron.leak)),
            "reset": c.neuron.reset.rawValue, "reset_gradient": g.resetGradient.rawValue,
            "surrogate": ["kind": g.surrogate.kind.rawValue, "scale": g.surrogate.scale, "amplitude": g.surrogate.amplitude],
            "inputs": inputs, "weights": weights, "readout": readout.map(Double.init),
        ]
    }

    /// max |a - b| / max |b| (0 when both are all zeros; infinite when only b is, or when the counts differ).
    static func relativeError(_ a: [Double], _ b: [Double]) -> Double {
        guard a.count == b.count else { return .infinity }
        let scale = b.map(abs).max() ?? 0
        let difference = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        return difference == 0 ? 0 : difference / scale
    }

    static func flatten(_ value: Any) -> [Double] {
        if let list = value as? [Any] { return list.flatMap(flatten) }
        return [(value as! NSNumber).doubleValue]
    }

    /// The acceptance cases: small networks, every surrogate, both resets and reset gradients.
    @Test(.enabled(if: numpyAvailable, "python3 with NumPy not found on PATH: the NumPy reference cannot run"))
    func gradientsMatchTheIndependentNumPyImplementation() throws {
        let worst = try Self.expectAgreement(try Self.cases())
        print("BackwardReferenceTests: largest relative error against NumPy over 36 small cases: \(worst)")
    }

    /// Widths past one 32-neuron panel and one 128-neuron tile (full and partial panels of W^T, several tiles of the
    /// time recursion and of the weight gradient), both resets, attached and detached.
    @Test(.enabled(if: numpyAvailable, "python3 with NumPy not found on PATH: the NumPy reference cannot run"))
    func widerLayersMatchTheNumPyImplementation() throws {
        let widths = [[40, 150, 70, 33], [64, 37, 130]]
        let cases = try widths.enumerated().map { k, widths in
            let network = try Network(
                architecture: Architecture(widths: widths),
                neuron: NeuronModel(threshold: 1, leak: 0.9, reset: k == 0 ? .subtract : .zero), steps: 3,
                input: .bernoulli(rate: 0.3),
                initialization: .variances((1..<widths.count).map { 3.0 / Double(widths[$0 - 1]) }, name: "given"))
            return try GradientConfiguration(
                simulation: SimulationConfiguration(network: network, batch: 2, networks: 2, seed: 7, threads: 3),
                surrogate: Surrogate(parsing: k == 0 ? "atan" : "fast_sigmoid:5"),
                resetGradient: k == 0 ? .attached : .detached)
        }
        let worst = try Self.expectAgreement(cases)
        print("BackwardReferenceTests: largest relative error against NumPy over the wider cases: \(worst)")
    }

    /// Runs each case (network 1 of 2) through the script and the simulator's trace; returns the largest error.
    static func expectAgreement(_ cases: [GradientConfiguration]) throws -> Double {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("backward-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var worst = 0.0
        for (k, g) in cases.enumerated() {
            let c = g.simulation, r = 1
            let casePath = directory.appendingPathComponent("case-\(k).json").path
            let resultPath = directory.appendingPathComponent("result-\(k).json").path
            try JSONSerialization.data(withJSONObject: caseJSON(g, network: r)).write(to: URL(fileURLWithPath: casePath))
            let run = try python([script, casePath, resultPath])
            try #require(run.status == 0, "\(run.stderr)")
            let result = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: resultPath)))
            let layers = try #require((result as? [String: Any])?["layers"] as? [[String: Any]])
            try #require(layers.count == c.architecture.depth)
            let trace = Simulator.trace(g, network: r)
            let label = "case \(k): widths \(c.architecture.widths), T \(c.steps), B \(c.batch), \(c.neuron.reset), "
                + "\(g.resetGradient), \(g.surrogate), \(c.input)"
            for (l, expected) in layers.enumerated() {
                // The script's [b][t][i] order is the simulator's column-major order with column c = b T + t.
                let u = trace.potentials[l].map(Double.init)
                let spikes = u.map { $0 > Double(Float(c.neuron.threshold)) ? 1.0 : 0.0 }
                #expect(spikes == flatten(expected["spikes"]!), "\(label), layer \(l + 1)")
                let errors = [
                    relativeError(u, flatten(expected["potentials"]!)),
                    relativeError(trace.deltas[l].map(Double.init), flatten(expected["delta"]!)),
                    relativeError(trace.weightGradients[l].map(Double.init), flatten(expected["weight_gradient"]!)),
                    relativeError(trace.deltaVariances[l], flatten(expected["delta_variance"]!)),
                    relativeError([trace.deltaVariancesPooled[l]], flatten(expected["delta_variance_pooled"]!)),
                    relativeError([trace.itemGradientVariances[l]], flatten(expected["item_gradient_variance"]!)),
                    relativeError([trace.batchGradientVariances[l]], flatten(expected["batch_gradient_variance"]!)),
                ]
                #expect(errors.allSatisfy { $0 <= 1e-5 }, "\(label), layer \(l + 1): relative errors \(errors)")
                worst = max(worst, errors.max()!)
            }
        }
        return worst
    }
}
