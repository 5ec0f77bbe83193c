import SNNSupport
import Testing

/// SplitMix64 against the published algorithm (outputs computed independently of this code): the simulator's streams
/// and the theory's quasi-Monte Carlo shifts are pinned bit for bit through it.
@Suite struct SplitMix64Tests {
    @Test func seedZeroGivesThePublishedOutputs() {
        var g = SplitMix64(state: 0)
        #expect([g.next(), g.next(), g.next()] == [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
    }

    @Test func anotherSeedGivesTheReferenceOutputs() {
        var g = SplitMix64(state: 1_234_567)
        #expect([g.next(), g.next(), g.next()] == [6_457_827_717_110_365_317, 3_203_168_211_198_807_973,
                                                   9_817_491_932_198_370_423])
    }

    /// The counter wraps modulo 2^64 instead of trapping on overflow.
    @Test func theCounterWrapsAround() {
        var g = SplitMix64(state: .max)
        #expect(g.next() == 0xE4D9_7177_1B65_2C20)
        #expect(g.state == 0x9E37_79B9_7F4A_7C14)
    }

    /// `mix` is the finalizer alone: what the stream keys of the simulator are built from.
    @Test func mixIsTheOutputOfTheAdvancedCounter() {
        #expect(SplitMix64.mix(0) == 0)
        #expect(SplitMix64.mix(1) == 0x5692_161D_100B_05E5)
        for seed: UInt64 in [0, 1, 42, .max] {
            var g = SplitMix64(state: seed)
            #expect(g.next() == SplitMix64.mix(seed &+ 0x9E37_79B9_7F4A_7C15))
        }
    }

    /// The top 53 bits of the output over 2^53: 0xE220A8397B1DCDAF >> 11 = 0.8833108082136426 * 2^53.
    @Test func unitDoublesAreTheTop53BitsOfTheOutput() {
        var g = SplitMix64(state: 0)
        #expect(g.nextUnitDouble() == 0.8833108082136426)
        #expect(g.nextUnitDouble() == 0.43152799704850997)
        var h = SplitMix64(state: 7)
        let units = (0..<10_000).map { _ in h.nextUnitDouble() }
        #expect(units.allSatisfy { $0 >= 0 && $0 < 1 && ($0 * 0x1.0p53).rounded(.towardZero) == $0 * 0x1.0p53 })
    }
}
