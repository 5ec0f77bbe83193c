import Foundation

/// Whose reading of a continuous-time NIR neuron: the exact sampling of NIR's equations, or what a framework's
/// importer builds from the node (THEORY.md section 8; the framework source lines are cited there).
public enum NIRConvention: String, CaseIterable, Sendable {
    case exact, snntorch, norse, sinabs, rockpool

    /// The framework's own name, for sentences.
    public var displayName: String {
        switch self {
        case .exact: "exact"
        case .snntorch: "snnTorch"
        case .norse: "Norse"
        case .sinabs: "Sinabs"
        case .rockpool: "Rockpool"
        }
    }
}

/// How a discrete neuron tests its membrane against the threshold.
public enum NIRFiring: String, Sendable {
    /// One spike when v > θ.
    case above = ">"
    /// floor(v / θ) spikes when v ≥ θ (Sinabs' and Rockpool's multi-spike).
    case multiSpike = "multi >="
}

/// What happens to the membrane after a spike.
public enum NIRReset: Equatable, Sendable {
    case subtract
    case to(Double)

    public var text: String {
        switch self {
        case .subtract: "subtract threshold"
        case .to(let value): "to \(NIRDiscreteNeuron.format(value))"
        }
    }
}

/// One neuron node as one convention discretizes it, per step n:
///     I[n] = α I[n-1] + (synaptic input)           (CubaLIF only)
///     v[n] = β v[n-1] + gain · x[n] + bias         (x: the node's input, through the synapse for CubaLIF)
///     spike by `firing` against `threshold`, then `reset`.
/// Parameters that vary across a node's neurons are summarised by their mean (`uniform` false).
public struct NIRDiscreteNeuron: Equatable, Sendable {
    public var convention: NIRConvention
    /// The time step in seconds, or nil when the convention counts time in steps.
    public var step: Double?
    public var leak: Double
    public var synapticLeak: Double?
    public var inputGain: Double
    public var threshold: Double?
    public var reset: NIRReset?
    public var firing: NIRFiring?
    /// Per-step drive from v_leak (zero when the convention drops it).
    public var bias: Double
    /// The least membrane kept after each step's reset (Sinabs' min_v_mem), or nil.
    public var lowerBound: Double? = nil
    /// False when the framework's importer has no mapping for the node or fails on it; the other fields then hold
    /// what its neuron would run were the import patched, where that is defined.
    public var imported: Bool
    /// Sentences on what the convention ignores, asserts or gets wrong for this node.
    public var notes: [String]

    /// The input gain relative to the threshold: the quantity that decides spiking, whatever scale the framework
    /// puts the membrane on (snnTorch rescales the threshold where others scale the input).
    public var drive: Double? { threshold.map { inputGain / $0 } }

    public static func format(_ value: Double) -> String {
        if value == 0 { return "0" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        return String(format: "%.4g", value)
    }
}

/// A neuron node's continuous parameters, each summarised to one number.
public struct NIRNeuronParameters: Equatable, Sendable {
    public enum Kind: String, Sendable { case i = "I", `if` = "IF", li = "LI", lif = "LIF", cubaLI = "CubaLI", cubaLIF = "CubaLIF" }
    public var kind: Kind
    public var tau: Double?
    public var tauSyn: Double?
    public var r: Double
    public var vLeak: Double
    public var vThreshold: Double?
    /// nil: the file writes none.
    public var vReset: Double?
    public var wIn: Double
    /// False when some parameter varies across the node's neurons.
    public var uniform: Bool

    /// The neuron parameters of `kind` (each the mean over the node's neurons, or with `element` that neuron's
    /// own), or nil for a node that is not a neuron.
    public init?(_ kind: NIRNodeKind, element: Int? = nil) {
        var uniform = true
        func value(_ array: HDF5Array?) -> Double? {
            guard let values = array?.doubles, !values.isEmpty else { return nil }
            if values.contains(where: { $0 != values[0] }) { uniform = false }
            if let element, values.count > 1 { return values[element] }
            return values.reduce(0, +) / Double(values.count)
        }
        switch kind {
        case .integrator(let r):
            self.kind = .i
            self.r = value(r) ?? 1
            vLeak = 0
            wIn = 1
        case .integrateAndFire(let r, let vThreshold, let vReset):
            self.kind = .if
            self.r = value(r) ?? 1
            self.vThreshold = value(vThreshold)
            self.vReset = value(vReset)
            vLeak = 0
            wIn = 1
        case .leakyIntegrator(let tau, let r, let vLeak):
            self.kind = .li
            self.tau = value(tau)
            self.r = value(r) ?? 1
            self.vLeak = value(vLeak) ?? 0
            wIn = 1
        case .leakyIntegrateAndFire(let tau, let r, let vLeak, let vThreshold, let vReset):
            self.kind = .lif
            self.tau = value(tau)
            self.r = value(r) ?? 1
            self.vLeak = value(vLeak) ?? 0
            self.vThreshold = value(vThreshold)
            self.vReset = value(vReset)
            wIn = 1
        case .cubaLI(let tauMem, let tauSyn, let r, let vLeak, let wIn):
            self.kind = .cubaLI
            tau = value(tauMem)
            self.tauSyn = value(tauSyn)
            self.r = value(r) ?? 1
            self.vLeak = value(vLeak) ?? 0
            self.wIn = value(wIn) ?? 1
        case .cubaLIF(let tauMem, let tauSyn, let r, let vLeak, let vThreshold, let wIn, let vReset):
            self.kind = .cubaLIF
            tau = value(tauMem)
            self.tauSyn = value(tauSyn)
            self.r = value(r) ?? 1
            self.vLeak = value(vLeak) ?? 0
            self.vThreshold = value(vThreshold)
            self.vReset = value(vReset)
            self.wIn = value(wIn) ?? 1
        default:
            return nil
        }
        self.uniform = uniform
    }
}

extension NIRNeuronParameters {
    /// NIR up to 1.0.5 reset LIF, IF and CubaLIF by subtracting the threshold; from 1.0.6 to `v_reset`, 0 when the
    /// file writes none (THEORY.md section 8).
    public func fileReset(version: String?) -> NIRReset? {
        guard vThreshold != nil else { return nil }
        if let vReset { return .to(vReset) }
        return Self.subtractsByDefault(version: version) ? .subtract : .to(0)
    }

    static func subtractsByDefault(version: String?) -> Bool {
        let parts = (version ?? "0").split(separator: ".").map { Int($0.prefix { $0.isNumber }) ?? 0 }
        let padded = parts + Array(repeating: 0, count: max(0, 3 - parts.count))
        return padded.lexicographicallyPrecedes([1, 0, 6])
    }

    /// The node as `convention` discretizes it; `step` is the time step of the conventions that take one (exact,
    /// Norse); snnTorch's importer fixes 1e-4 s, Sinabs counts in steps, Rockpool infers dt = τ / (1 + r).
    public func discretized(_ convention: NIRConvention, step: Double, version: String?) -> NIRDiscreteNeuron {
        let fileReset = fileReset(version: version)
        var neuron = NIRDiscreteNeuron(convention: convention, step: step, leak: 1, synapticLeak: nil, inputGain: 1,
                                       threshold: vThreshold, reset: fileReset, firing: vThreshold == nil ? nil : .above,
                                       bias: 0, imported: true, notes: [])
        let spiking = vThreshold != nil
        func unsupported(_ why: String) -> NIRDiscreteNeuron {
            neuron.imported = false
            neuron.notes.append(why)
            return neuron
        }
        switch convention {
        case .exact:
            let membrane = tau.map { exp(-step / $0) } ?? 1
            neuron.leak = membrane
            let membraneGain = tau == nil ? r * step : r * (1 - membrane)
            if let tauSyn {
                let synapse = exp(-step / tauSyn)
                neuron.synapticLeak = synapse
                neuron.inputGain = wIn * (1 - synapse) * membraneGain
            } else {
                neuron.inputGain = membraneGain
            }
            neuron.bias = tau == nil ? 0 : (1 - membrane) * vLeak
        case .snntorch:
            neuron.step = 1e-4
            let h = 1e-4
            switch kind {
            case .lif:
                let tau = tau ?? .infinity
                neuron.leak = 1 - h / tau
                let scale = r * h / tau
                if scale != 1, let vThreshold { neuron.threshold = vThreshold / scale }
                neuron.reset = .to(0)
                if vLeak != 0 { neuron.notes.append("snnTorch's importer asserts v_leak = 0 and fails on \(NIRDiscreteNeuron.format(vLeak))") }
            case .cubaLIF:
                let tauMem = tau ?? .infinity, tauSyn = tauSyn ?? .infinity
                neuron.leak = 1 - h / tauMem
                neuron.synapticLeak = 1 - h / tauSyn
                if let vThreshold { neuron.threshold = vThreshold / (wIn * h / tauSyn) }
                neuron.reset = .to(0)
                if abs(r - tauMem / h) > 1e-9 * max(1, abs(r)) {
                    neuron.notes.append("snnTorch's importer asserts r = tau_mem/dt = \(NIRDiscreteNeuron.format(tauMem / h)) and fails on r = \(NIRDiscreteNeuron.format(r))")
                }
                if vLeak != 0 { neuron.notes.append("snnTorch's importer asserts v_leak = 0") }
            case .if:
                neuron.leak = 0.9
                neuron.threshold = vThreshold.map { $0 * r }
                neuron.reset = .subtract
                neuron.notes.append("snnTorch imports IF as a leaky Leaky(beta = 0.9) with subtract reset")
                if r != 1 { neuron.notes.append("snnTorch's importer asserts r = 1 and fails on r = \(NIRDiscreteNeuron.format(r))") }
            default:
                return unsupported("snnTorch has no importer for \(kind.rawValue)")
            }
        case .norse:
            switch kind {
            case .lif, .li:
                let tau = tau ?? .infinity
                neuron.leak = 1 - step / tau
                neuron.inputGain = step / tau
                neuron.bias = step / tau * vLeak
                if spiking { neuron.reset = .to(0) }
                if r != 1 { neuron.notes.append("Norse ignores r = \(NIRDiscreteNeuron.format(r))") }
            case .if:
                neuron.step = nil
                neuron.reset = .to(0)
                if r != 1 { neuron.notes.append("Norse ignores r = \(NIRDiscreteNeuron.format(r)) (and dt) for IF") }
            case .cubaLIF:
                let tauMem = tau ?? .infinity, tauSyn = tauSyn ?? .infinity
                neuron.leak = 1 - step / tauMem
                neuron.synapticLeak = 1 - step / tauSyn
                neuron.inputGain = wIn * step / tauSyn * r * step / tauMem
                neuron.bias = step / tauMem * vLeak
                neuron.reset = .to(0)
                if vLeak != 0 { neuron.notes.append("Norse's importer also gives the synapse the membrane's v_leak") }
            default:
                return unsupported("Norse has no importer for \(kind.rawValue)")
            }
            if spiking, let vReset, vReset != 0 { neuron.notes.append("Norse ignores v_reset = \(NIRDiscreteNeuron.format(vReset)) and resets to 0") }
        case .sinabs:
            neuron.step = nil
            switch kind {
            case .lif, .li, .if:
                neuron.leak = tau.map { exp(-1 / $0) } ?? 1
                if spiking {
                    neuron.reset = .subtract
                    neuron.firing = .multiSpike
                }
                if r != 1 { neuron.notes.append("Sinabs ignores r = \(NIRDiscreteNeuron.format(r))") }
                if vLeak != 0 { neuron.notes.append("Sinabs ignores v_leak = \(NIRDiscreteNeuron.format(vLeak))") }
                if kind == .if, let vThreshold {
                    // sinabs/nir.py builds IAFSqueeze(min_v_mem=-v_threshold); lif_forward_single clamps after the reset.
                    neuron.lowerBound = -vThreshold
                    neuron.notes.append("Sinabs clamps the membrane at -threshold")
                }
            default:
                return unsupported("Sinabs has no importer for \(kind.rawValue)")
            }
        case .rockpool:
            switch kind {
            case .lif, .cubaLIF, .li:
                let tauMem = tau ?? .infinity
                let h = tauMem / (1 + r)
                neuron.step = h
                neuron.leak = exp(-h / (kind == .li ? tauMem.rounded(.towardZero) : tauMem))
                neuron.synapticLeak = tauSyn.map { exp(-h / $0) }
                neuron.bias = vLeak
                if spiking {
                    neuron.reset = .subtract
                    neuron.firing = .multiSpike
                }
                if kind == .lif {
                    neuron.imported = false
                    neuron.notes.append("Rockpool's importer reads tau_mem from a LIF node and raises AttributeError; shown: what its LIFNeuronTorch would run")
                }
                if kind == .li { neuron.notes.append("Rockpool truncates tau to an integer for LI") }
                if kind == .cubaLIF, wIn != 1 { neuron.notes.append("Rockpool ignores w_in = \(NIRDiscreteNeuron.format(wIn))") }
            default:
                return unsupported("Rockpool has no importer for \(kind.rawValue)")
            }
        }
        return neuron
    }
}
