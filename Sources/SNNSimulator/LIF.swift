import SNNModel

/// What the LIF update needs from its operands: Float32 arithmetic lane by lane. `Float` is one neuron,
/// `SIMD4<Float>` four neurons side by side (the simulator's scan), `SIMD8<Float>` eight (the reduced sampler's);
/// the update below is written once for all, so the scalar function the tests pin is the very code the simulator's
/// vectorized scan and the reduced sampler run.
public protocol LIFLanes {
    static func + (lhs: Self, rhs: Self) -> Self
    static func - (lhs: Self, rhs: Self) -> Self
    static func * (lhs: Self, rhs: Self) -> Self
    static func * (lhs: Float, rhs: Self) -> Self
    /// 1 in every lane.
    static var one: Self { get }
    /// 1 in the lanes where `self > threshold` (strictly), 0 elsewhere.
    func exceeds(_ threshold: Float) -> Self
}

extension Float: LIFLanes {
    public static var one: Float { 1 }
    @inlinable @inline(__always)
    public func exceeds(_ threshold: Float) -> Float { self > threshold ? 1 : 0 }
}

extension SIMD4: LIFLanes where Scalar == Float {
    public static var one: SIMD4<Float> { SIMD4(repeating: 1) }
    @inlinable @inline(__always)
    public func exceeds(_ threshold: Float) -> SIMD4<Float> {
        SIMD4<Float>(repeating: 0).replacing(with: 1, where: self .> threshold)
    }
}

extension SIMD8: LIFLanes where Scalar == Float {
    public static var one: SIMD8<Float> { SIMD8(repeating: 1) }
    @inlinable @inline(__always)
    public func exceeds(_ threshold: Float) -> SIMD8<Float> {
        SIMD8<Float>(repeating: 0).replacing(with: 1, where: self .> threshold)
    }
}

/// The neuron update of THEORY.md section 1 in Float32:
///
///     subtract: u[t] = (beta u[t-1] + I[t]) - theta s[t-1]
///     zero:     u[t] = (beta u[t-1]) (1 - s[t-1]) + I[t]
///     s[t] = 1 if u[t] > theta (strictly), else 0
///
/// with u[0] = 0 and s[0] = 0, evaluated in exactly this order with no fused multiply-add (Swift does not contract
/// floating-point expressions), so results do not depend on the compiler. Since s is 0 or 1, the products with s
/// are exact: theta * 0 = 0 and x * 1 = x.
public struct LIFUpdate: Sendable, Equatable {
    public let leak: Float
    public let threshold: Float
    public let reset: Reset

    public init(leak: Float, threshold: Float, reset: Reset) {
        self.leak = leak
        self.threshold = threshold
        self.reset = reset
    }

    /// The neuron's parameters rounded to Float32.
    public init(_ neuron: NeuronModel) {
        self.init(leak: Float(neuron.leak), threshold: Float(neuron.threshold), reset: neuron.reset)
    }

    /// One step, lane by lane: from the previous potential u[t-1], the previous spike s[t-1] (0 or 1) and the
    /// current I[t], the potential u[t] (before the reset it may trigger, which acts at the next step) and s[t].
    @inlinable @inline(__always)
    public func step<L: LIFLanes>(potential: L, spike: L, current: L) -> (potential: L, spike: L) {
        let u: L
        switch reset {
        case .subtract: u = (leak * potential + current) - threshold * spike
        case .zero: u = (leak * potential) * (L.one - spike) + current
        }
        return (u, u.exceeds(threshold))
    }

    /// The potentials and spikes of one neuron over the currents I[1...T], from u[0] = 0, s[0] = 0.
    public func run(currents: [Float]) -> (potentials: [Float], spikes: [Float]) {
        var u: Float = 0
        var s: Float = 0
        var potentials: [Float] = []
        var spikes: [Float] = []
        for current in currents {
            (u, s) = step(potential: u, spike: s, current: current)
            potentials.append(u)
            spikes.append(s)
        }
        return (potentials, spikes)
    }
}
