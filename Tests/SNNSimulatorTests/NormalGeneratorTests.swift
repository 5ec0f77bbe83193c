import CKernels
import Dispatch
import Foundation
import SNNSimulator
import SNNSupport
import Testing

/// The normal generator (`fillNormal`: a ziggurat over eight xoshiro256** lanes) against the standard normal law,
/// with tolerances from standard errors and fixed seeds; its vector kernels against their scalar definition, bit for
/// bit; and its draws against the thread count.
@Suite struct NormalGeneratorTests {
    /// P(Z > z) for the standard normal.
    static func upperTail(_ z: Double) -> Double { erfc(z / 2.0.squareRoot()) / 2 }

    /// Draws `columns` columns of `length` normals, column j from the stream (seed, 0, 1, j): the simulator's layout.
    static func columns(seed: UInt64, columns: Int, length: Int) -> [Float] {
        var x = [Float](repeating: .nan, count: columns * length)
        x.withUnsafeMutableBufferPointer { x in
            for j in 0..<columns {
                var rng = Xoshiro256StarStar(seed: seed, network: 0, layer: 1, block: j)
                rng.fillNormal(x.baseAddress! + j * length, count: length, scale: 1)
            }
        }
        return x
    }

    /// 2^22 draws (4096 columns of 1024): mean, variance, skewness and excess kurtosis within 5 standard errors of
    /// 0, 1, 0, 0 (for n normal draws: sqrt(1/n), sqrt(2/n), sqrt(6/n), sqrt(24/n)); and the correlation of draws 1,
    /// 2, 16 and 17 slots apart (16 apart: the same lane one step later) within 5 / sqrt(n) of 0.
    @Test func normalsHaveTheStandardNormalsMoments() {
        let length = 1024
        let x = Self.columns(seed: 20_261_208, columns: 4096, length: length)
        let n = Double(x.count)
        var sum = 0.0
        for v in x { sum += Double(v) }
        let mean = sum / n
        var m2 = 0.0, m3 = 0.0, m4 = 0.0
        for v in x {
            let d = Double(v) - mean
            let d2 = d * d
            m2 += d2
            m3 += d2 * d
            m4 += d2 * d2
        }
        m2 /= n
        m3 /= n
        m4 /= n
        let variance = m2 * n / (n - 1), skewness = m3 / (m2 * m2.squareRoot()), kurtosis = m4 / (m2 * m2) - 3
        #expect(abs(mean) <= 5 * (1 / n).squareRoot(), "mean \(mean)")
        #expect(abs(variance - 1) <= 5 * (2 / n).squareRoot(), "variance \(variance)")
        #expect(abs(skewness) <= 5 * (6 / n).squareRoot(), "skewness \(skewness)")
        #expect(abs(kurtosis) <= 5 * (24 / n).squareRoot(), "excess kurtosis \(kurtosis)")
        for lag in [1, 2, 16, 17] {
            var product = 0.0, pairs = 0
            for j in 0..<4096 {
                let column = j * length
                for i in 0..<(length - lag) {
                    product += Double(x[column + i]) * Double(x[column + i + lag])
                    pairs += 1
                }
            }
            let correlation = product / Double(pairs)
            #expect(abs(correlation) <= 5 / Double(pairs).squareRoot(), "lag \(lag): \(correlation)")
        }
    }

    /// 2^23 draws (8192 columns of 1024): the fraction beyond 1, 2 and 3 (the wedges and rectangles), beyond the
    /// ziggurat's base r = 3.654 and beyond 4, 4.5 and 5 (Marsaglia's tail method alone), both signs together, and
    /// above +4 alone, each within 5 binomial standard errors sqrt(p (1 - p) / n) of the normal law's p. (Beyond 5,
    /// p n = 4.8: the check is weak there, but a tail method that stopped short would fail it.)
    @Test func normalsHaveTheStandardNormalsTails() {
        let length = 1024, columns = 8192
        let edges = [1, 2, 3, 3.6541528853610088, 4, 4.5, 5]
        var beyond = [Int](repeating: 0, count: edges.count), above4 = 0
        let x = UnsafeMutablePointer<Float>.allocate(capacity: length)
        defer { x.deallocate() }
        for j in 0..<columns {
            var rng = Xoshiro256StarStar(seed: 4, network: 0, layer: 1, block: j)
            rng.fillNormal(x, count: length, scale: 1)
            for i in 0..<length where abs(x[i]) > 1 {
                let a = Double(abs(x[i]))
                for e in 0..<edges.count where a > edges[e] { beyond[e] += 1 }
                if x[i] > 4 { above4 += 1 }
            }
        }
        let n = Double(length * columns)
        for (e, edge) in edges.enumerated() {
            let p = 2 * Self.upperTail(edge)
            let observed = Double(beyond[e]) / n
            #expect(abs(observed - p) <= 5 * (p * (1 - p) / n).squareRoot(), "beyond \(edge): \(observed), p = \(p)")
        }
        let p = Self.upperTail(4)
        #expect(abs(Double(above4) / n - p) <= 5 * (p * (1 - p) / n).squareRoot(), "above 4: \(above4)")
    }

    /// The AVX2 and AVX-512 kernels (where this CPU has them) give the scalar definition's outputs, misses and lane
    /// states, bit for bit, for counts around the 16-slot step, two scales, and a table of random entries (so that
    /// about half the slots miss and the miss lists are long).
    @Test(arguments: [1, 7, 8, 9, 15, 16, 17, 31, 33, 1000, 1024])
    func laneKernelsGiveTheDefinitionsBits(count: Int) {
        var rng = Xoshiro256StarStar(seed: UInt64(count))
        let layers = (0..<256).map { _ in
            UInt64(Float(rng.nextUnitDouble() * 1e-6).bitPattern) << 32 | (rng.next() & 0x7F_FFFF)
        }
        let state = (0..<32).map { _ in rng.next() }
        for scale: Float in [1, 0.37] {
            var definitionState = state
            var definition = [Float](repeating: .nan, count: count + 1)
            var definitionMissed = [UInt64](repeating: 0, count: count)
            let definitionMisses = snn_normal_lanes_definition(&definitionState, &definition, count, scale, layers,
                                                               &definitionMissed)
            #expect(definitionMisses > 0 || count < 8)
            #expect(definition[count].isNaN, "nothing written past count")
            for kernel: Int32 in [1, 2] {
                var kernelState = state
                var out = [Float](repeating: .nan, count: count + 1)
                var missed = [UInt64](repeating: 0, count: count)
                let misses = snn_normal_lanes_with(kernel, &kernelState, &out, count, scale, layers, &missed)
                if misses < 0 { continue }
                #expect(misses == definitionMisses, "kernel \(kernel)")
                #expect(out.map(\.bitPattern) == definition.map(\.bitPattern), "kernel \(kernel)")
                #expect(missed[..<misses] == definitionMissed[..<definitionMisses], "kernel \(kernel)")
                #expect(kernelState == definitionState, "kernel \(kernel)")
            }
        }
    }

    /// The lanes' seeding (AVX-512 where the CPU has it) gives the definition's words, and those are SplitMix64's
    /// outputs from the key, four per lane: lane j is xoshiro256** seeded with key + 4 j 0x9E3779B97F4A7C15.
    @Test(arguments: [0, 1, 0x9E37_79B9_7F4A_7C15, .max] as [UInt64])
    func lanesAreSeededBySplitMix64(key: UInt64) {
        var fast = [UInt64](repeating: 0, count: 32), definition = fast
        snn_normal_lanes_seed(key, &fast)
        snn_normal_lanes_seed_definition(key, &definition)
        #expect(fast == definition)
        var splitMix = SplitMix64(state: key)
        var expected = [UInt64](repeating: 0, count: 32)
        for lane in 0..<8 {
            for word in 0..<4 { expected[8 * word + lane] = splitMix.next() }
        }
        #expect(definition == expected)
    }

    /// Columns drawn on several threads at once, in any order, are the columns drawn one after another.
    @Test func drawsDoNotDependOnThreads() {
        let length = 1000, count = 96
        let serial = Self.columns(seed: 77, columns: count, length: length)
        // The address as an integer: a pointer may not cross into the concurrent closure.
        let base = UnsafeMutablePointer<Float>.allocate(capacity: count * length)
        defer { base.deallocate() }
        let address = Int(bitPattern: base)
        DispatchQueue.concurrentPerform(iterations: count) { i in
            let j = count - 1 - i
            var rng = Xoshiro256StarStar(seed: 77, network: 0, layer: 1, block: j)
            rng.fillNormal(UnsafeMutablePointer<Float>(bitPattern: address)! + j * length, count: length, scale: 1)
        }
        let parallel = Array(UnsafeBufferPointer(start: base, count: count * length))
        #expect(parallel.map(\.bitPattern) == serial.map(\.bitPattern))
    }
}
