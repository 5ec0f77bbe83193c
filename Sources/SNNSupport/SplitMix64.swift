/// SplitMix64 (Steele, Lea, Flood 2014): a 64-bit counter passed through a bijective mixer.
///
/// The simulator seeds xoshiro256** and derives its stream keys with it, the theory draws the random shifts of its
/// quasi-Monte Carlo replicates, and the verification library mixes the seeds of a sweep's cells: results that are
/// pinned bit for bit, so its arithmetic must never change.
public struct SplitMix64: Sendable {
    public var state: UInt64

    public init(state: UInt64) { self.state = state }

    /// The finalizer of SplitMix64: a bijection of UInt64 with full avalanche.
    @inlinable @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z &>> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z &>> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z &>> 31)
    }

    @inlinable @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// Uniform on [0, 1) with 53 random bits: k * 2^-53, k uniform in [0, 2^53).
    @inlinable @inline(__always)
    public mutating func nextUnitDouble() -> Double {
        Double(next() &>> 11) * 0x1.0p-53
    }
}
