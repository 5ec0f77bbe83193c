import Foundation
import SNNSimulator
import Testing

/// The generators: reference outputs, and the moments of the samplers within stated standard errors (fixed seeds).
/// The normal generator's moments and tails: `NormalGeneratorTests`.
@Suite struct RandomTests {
    @Test func xoshiro256StarStarMatchesReferenceOutputs() {
        var g = Xoshiro256StarStar(state: (1, 2, 3, 4))
        #expect([g.next(), g.next(), g.next(), g.next()] == [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240])
    }

    @Test func streamsAreKeyedBySeedNetworkLayerAndBlock() {
        func first(_ seed: UInt64, _ network: Int, _ layer: Int, _ block: Int) -> UInt64 {
            var g = Xoshiro256StarStar(seed: seed, network: network, layer: layer, block: block)
            return g.next()
        }
        #expect(first(1, 2, 3, 4) == first(1, 2, 3, 4))
        let neighbours = [first(1, 2, 3, 4), first(2, 2, 3, 4), first(1, 3, 3, 4), first(1, 2, 4, 4), first(1, 2, 3, 5),
                          first(1, 3, 2, 4), first(1, 2, 4, 3)]
        #expect(Set(neighbours).count == neighbours.count)
    }

    @Test func normalScaleSetsTheVariance() {
        let n = 1 << 18
        let x = UnsafeMutablePointer<Float>.allocate(capacity: n)
        defer { x.deallocate() }
        var g = Xoshiro256StarStar(seed: 3)
        g.fillNormal(x, count: n, scale: 0.25)
        let variance = (0..<n).reduce(0.0) { $0 + Double(x[$1]) * Double(x[$1]) } / Double(n)
        #expect(abs(variance - 0.0625) <= 5 * 0.0625 * (2 / Double(n)).squareRoot())
    }

    /// Uniform(+-sqrt(3 v)) weights: inside the interval, mean 0 and variance v within 5 standard errors
    /// (Var[x^2] = 4 a^4 / 45 = 0.8 v^2 for a = sqrt(3 v)).
    @Test func uniformWeightsHaveTheRequestedVariance() {
        let n = 1 << 20
        let v = 0.01
        let a = (3 * v).squareRoot()
        let x = UnsafeMutablePointer<Float>.allocate(capacity: n)
        defer { x.deallocate() }
        var g = Xoshiro256StarStar(seed: 11)
        g.fillUniform(x, count: n, halfWidth: Float(a))
        var sum = 0.0, squares = 0.0
        for i in 0..<n {
            let w = Double(x[i])
            #expect(abs(w) < a * (1 + 1e-6))
            sum += w
            squares += w * w
        }
        #expect(abs(sum / Double(n)) <= 5 * (v / Double(n)).squareRoot())
        #expect(abs(squares / Double(n) - v) <= 5 * (0.8 * v * v / Double(n)).squareRoot())
    }

    @Test func bernoulliThresholdResolvesTheProbability() {
        #expect(Xoshiro256StarStar.bernoulliThreshold(probability: 0) == 0)
        #expect(Xoshiro256StarStar.bernoulliThreshold(probability: 1) == 1 << 53)
        var g = Xoshiro256StarStar(seed: 5)
        let p = 0.158655253931457
        let threshold = Xoshiro256StarStar.bernoulliThreshold(probability: p)
        let n = 1 << 20
        let hits = (0..<n).reduce(0) { count, _ in count + (g.nextBernoulli(threshold53: threshold) ? 1 : 0) }
        #expect(abs(Double(hits) / Double(n) - p) <= 5 * (p * (1 - p) / Double(n)).squareRoot())
    }
}
