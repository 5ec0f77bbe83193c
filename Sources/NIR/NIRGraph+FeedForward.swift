import Foundation

/// The NIR fields that make a convention's importer build section 1's neuron (u = beta u + I, spike when u > theta,
/// reset by subtraction or to zero, input gain 1) as closely as it can: the inverse of `NIRNeuronParameters
/// .discretized` (THEORY.md section 8).
public struct NIRNeuronEncoding: Equatable, Sendable {
    public enum Kind: Sendable { case lif, integrateAndFire }
    public var kind: Kind
    public var tau: Double
    public var r: Double
    public var vThreshold: Double
    /// nil: the file writes no `v_reset`, which NIR up to 1.0.5 (the version then written) read as subtraction.
    public var vReset: Double?
    public var version: String
    /// What the framework will not reproduce, in words.
    public var notes: [String]

    /// A convention that cannot express the neuron at all throws `NIREncodingError`.
    public init(leak beta: Double, threshold theta: Double, subtractReset: Bool, convention: NIRConvention,
                step h: Double) throws {
        precondition((0...1).contains(beta) && theta > 0 && h > 0)
        notes = []
        vThreshold = theta
        // Below this leak the decay is written as tau = h / 50 (beta = e^-50): NIR has no tau = 0.
        let smallest = exp(-50.0)
        let subtractVersion = "1.0.5"
        switch convention {
        case .exact, .rockpool:
            if beta == 1 {
                kind = .integrateAndFire
                tau = .infinity
                r = convention == .exact ? 1 / h : 1
            } else {
                kind = .lif
                tau = -h / log(max(beta, smallest))
                r = convention == .exact ? 1 / (1 - beta) : tau * exp(-h / tau) / h
                if beta < smallest { notes.append("beta 0 is written as tau = dt/50 (beta = e^-50)") }
            }
            if convention == .rockpool {
                notes.append("written as Rockpool's exporter writes it (r = tau e^(-dt/tau) / dt); Rockpool's importer "
                    + "fails on LIF nodes (it reads tau_mem)")
            }
        case .snntorch:
            guard beta < 1 else {
                throw NIREncodingError(reason: "snnTorch's NIR form divides by 1 - beta: beta = 1 has none "
                    + "(use --convention exact or sinabs)")
            }
            kind = .lif
            tau = 1e-4 / (1 - beta)
            r = tau / 1e-4
            if subtractReset { notes.append("snnTorch's importer resets to zero, not by subtraction") }
        case .norse:
            if beta == 1 {
                kind = .integrateAndFire
                tau = .infinity
                r = 1
            } else {
                // Norse ignores r and drives the membrane with gain dt/tau = 1 - beta: the threshold scales with it,
                // which keeps gain/threshold, and so the spikes, those of gain 1.
                kind = .lif
                tau = h / (1 - beta)
                r = 1
                vThreshold = theta * (1 - beta)
                notes.append("Norse drives the membrane with gain 1 - beta: v_threshold is theta (1 - beta) = "
                    + "\(NIRDiscreteNeuron.format(vThreshold)) so that gain/threshold is 1/theta")
            }
            if subtractReset { notes.append("Norse's importer resets to zero, not by subtraction") }
        case .sinabs:
            if beta == 1 {
                kind = .integrateAndFire
                tau = .infinity
            } else {
                kind = .lif
                tau = -1 / log(max(beta, smallest))
                if beta < smallest { notes.append("beta 0 is written as tau = 1/50 steps (beta = e^-50)") }
            }
            r = 1
            if !subtractReset { notes.append("Sinabs resets by subtraction, not to zero") }
            notes.append("Sinabs emits floor(v/theta) spikes at v >= theta")
        }
        if subtractReset, convention == .exact || convention == .sinabs || convention == .rockpool {
            vReset = nil
            version = subtractVersion
            if convention == .exact {
                notes.append("NIR from 1.0.6 has no subtract reset: the file says NIR \(subtractVersion) and writes "
                    + "no v_reset (subtraction there); readers of newer NIR take v_reset = 0")
            }
        } else {
            vReset = 0
            version = NIRGraph.writtenVersion
        }
    }
}

public struct NIREncodingError: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public var description: String { reason }
}

extension NIRGraph {
    /// Input -> Affine -> neuron -> ... -> Output: `layers` holds each Affine's weight (outputs x inputs, row major)
    /// with zero biases; every neuron node gets `neuron`'s fields, one value per neuron, float32. Nodes are named
    /// `input`, `affine1`, `lif1` (or `if1`), ..., `output`.
    public static func feedForward(inputSize: Int, layers: [(weight: [Float], outputs: Int)],
                                   neuron: NIRNeuronEncoding) -> NIRGraph {
        var nodes: [String: NIRNode] = [:]
        var edges: [NIREdge] = []
        let sizes = { (values: [Int]) in HDF5Array(shape: [values.count], elements: .int64(values.map(Int64.init))) }
        let perNeuron = { (value: Double, count: Int) in
            HDF5Array(shape: [count], elements: .float32(Array(repeating: Float(value), count: count)))
        }
        nodes["input"] = NIRNode(name: "input", kind: .input(shape: sizes([inputSize])))
        var previous = "input"
        var inputs = inputSize
        for (index, layer) in layers.enumerated() {
            precondition(layer.weight.count == layer.outputs * inputs)
            let affine = "affine\(index + 1)"
            let weight = HDF5Array(shape: [layer.outputs, inputs], elements: .float32(layer.weight))
            nodes[affine] = NIRNode(name: affine, kind: .affine(weight: weight, bias: perNeuron(0, layer.outputs)))
            let n = layer.outputs
            let kind: NIRNodeKind
            let name: String
            switch neuron.kind {
            case .lif:
                name = "lif\(index + 1)"
                kind = .leakyIntegrateAndFire(tau: perNeuron(neuron.tau, n), r: perNeuron(neuron.r, n),
                                              vLeak: perNeuron(0, n), vThreshold: perNeuron(neuron.vThreshold, n),
                                              vReset: neuron.vReset.map { perNeuron($0, n) })
            case .integrateAndFire:
                name = "if\(index + 1)"
                kind = .integrateAndFire(r: perNeuron(neuron.r, n), vThreshold: perNeuron(neuron.vThreshold, n),
                                         vReset: neuron.vReset.map { perNeuron($0, n) })
            }
            nodes[name] = NIRNode(name: name, kind: kind)
            edges += [NIREdge(previous, affine), NIREdge(affine, name)]
            previous = name
            inputs = n
        }
        nodes["output"] = NIRNode(name: "output", kind: .output(shape: sizes([inputs])))
        edges.append(NIREdge(previous, "output"))
        return NIRGraph(version: neuron.version, nodes: nodes, edges: edges)
    }
}
