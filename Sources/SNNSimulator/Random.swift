import SNNSupport

/// xoshiro256** 1.0 (Blackman and Vigna 2018): period 2^256 - 1, passes BigCrush, a few cycles per 64-bit output.
///
/// Every simulation draw comes from a stream keyed by (seed, network, layer, block) (`init(seed:network:layer:block:)`),
/// so a value never depends on which thread drew it or in which order the blocks were processed.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    @usableFromInline var s0: UInt64
    @usableFromInline var s1: UInt64
    @usableFromInline var s2: UInt64
    @usableFromInline var s3: UInt64

    /// Seeds the four state words with four consecutive SplitMix64 outputs, as the authors recommend;
    /// this never yields the forbidden all-zero state in practice (SplitMix64's outputs are a bijection of its counter).
    public init(seed: UInt64) {
        var sm = SplitMix64(state: seed)
        s0 = sm.next()
        s1 = sm.next()
        s2 = sm.next()
        s3 = sm.next()
    }

    /// A generator in the given state (not all zero), e.g. to check the reference outputs of the algorithm.
    public init(state: (UInt64, UInt64, UInt64, UInt64)) {
        (s0, s1, s2, s3) = state
    }

    /// The stream of one block of draws: the key is the user's seed mixed with the network index, the layer index
    /// (0 for the input) and the block index (a column of W_l, or a batch item of the input; 2^20 and 2^20 + 1 for the
    /// reduced sampler and its solver), each through SplitMix64's bijective mixer, so distinct tuples give unrelated
    /// streams.
    public init(seed: UInt64, network: Int, layer: Int, block: Int) {
        var key = SplitMix64.mix(seed &+ 0x9E37_79B9_7F4A_7C15)
        key = SplitMix64.mix(key ^ (UInt64(truncatingIfNeeded: network) &+ 0x632B_E59B_D9B4_E019))
        key = SplitMix64.mix(key ^ (UInt64(truncatingIfNeeded: layer) &+ 0x8CB9_2BA7_2F3D_8DD7))
        key = SplitMix64.mix(key ^ (UInt64(truncatingIfNeeded: block) &+ 0xD6E8_FEB8_6659_FD93))
        self.init(seed: key)
    }

    // Masking shifts (&<<, &>>) between operands of one type throughout: they are plain instructions even in
    // unoptimized builds, where the generic shifts are library calls; and transparent, so that unoptimized builds
    // (the test suite) inline it too.
    @_transparent
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) &<< 7 | (s1 &* 5) &>> 57) &* 9
        let t = s1 &<< 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 &<< 45 | s3 &>> 19
        return result
    }

    /// Uniform on [0, 1) with 53 random bits: k * 2^-53, k uniform in [0, 2^53).
    @inlinable @inline(__always)
    public mutating func nextUnitDouble() -> Double {
        Double(Int64(bitPattern: next() &>> 11)) * 0x1.0p-53
    }

    /// Uniform on [0, 1) with 24 random bits (every value a Float exactly): k * 2^-24.
    @inlinable @inline(__always)
    public mutating func nextUnitFloat() -> Float {
        Float(Int64(bitPattern: next() &>> 40)) * 0x1.0p-24
    }

    /// Bernoulli(p) with p resolved to 2^-53: true when a 53-bit uniform integer is below p * 2^53.
    @inlinable @inline(__always)
    public mutating func nextBernoulli(threshold53: UInt64) -> Bool {
        (next() &>> 11) < threshold53
    }

    /// The 53-bit integer threshold of `nextBernoulli` for probability p in [0, 1].
    public static func bernoulliThreshold(probability p: Double) -> UInt64 {
        p >= 1 ? 1 << 53 : UInt64((p * 0x1.0p53).rounded(.toNearestOrEven))
    }
}
