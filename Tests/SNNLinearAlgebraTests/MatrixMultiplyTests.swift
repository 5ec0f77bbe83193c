import Foundation
import SNNLinearAlgebra
import Testing

/// The products against a naive triple loop in double precision, on shapes that leave edge tiles in both dimensions
/// for every kernel, with k above and below the block length, through each of the three ways a product is tiled
/// (few rows with B read in place; a narrow B with A read in place; the general blocked loop).
@Suite struct MatrixMultiplyTests {
    /// Entries in [-1, 1) from a fixed integer recurrence: no two rows or columns alike, signs mixed.
    static func matrix(_ rows: Int, _ columns: Int, seed: Int) -> [Float] {
        var state = UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<rows * columns).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int(state >> 40) % 2001 - 1000) / 1000
        }
    }

    /// For each entry: the exact sum in double precision and the sum of |a_ip b_pj|, the scale a float sum's rounding
    /// error is relative to.
    static func naive(_ a: [Float], _ b: [Float], _ m: Int, _ k: Int, _ n: Int) -> (value: [Double], scale: [Double]) {
        var value = [Double](repeating: 0, count: m * n), scale = value
        for i in 0..<m {
            for j in 0..<n {
                for p in 0..<k {
                    let term = Double(a[i * k + p]) * Double(b[p * n + j])
                    value[i * n + j] += term
                    scale[i * n + j] += abs(term)
                }
            }
        }
        return (value, scale)
    }

    /// The largest error over all entries, relative to each entry's scale.
    static func relativeError(_ c: [Float], _ reference: (value: [Double], scale: [Double])) -> Double {
        zip(c, zip(reference.value, reference.scale)).map { c, reference in
            abs(Double(c) - reference.0) / max(reference.1, .leastNormalMagnitude)
        }.max() ?? 0
    }

    static let oddShapes: [(m: Int, k: Int, n: Int)] = [
        (1, 1, 1), (7, 13, 5), (13, 17, 33), (25, 3, 47), (29, 50, 16), (37, 401, 19), (50, 777, 65), (3, 1, 100),
        (97, 144, 17), (2, 600, 1), (260, 300, 45),
    ]

    @Test(arguments: MatrixMultiply.Kernel.supported)
    func matchesTheNaiveTripleLoopOnOddShapes(kernel: MatrixMultiply.Kernel) {
        for (index, (m, k, n)) in Self.oddShapes.enumerated() {
            let a = Self.matrix(m, k, seed: 2 * index), b = Self.matrix(k, n, seed: 2 * index + 1)
            let reference = Self.naive(a, b, m, k, n)
            for threads in [1, 2, 3] {
                let c = MatrixMultiply.product(a, b, m: m, k: k, n: n, threads: threads, kernel: kernel)
                let error = Self.relativeError(c, reference)
                #expect(error <= 1e-5, "\(kernel) \(m)x\(k)x\(n) on \(threads) threads: relative error \(error)")
            }
        }
    }

    @Test(arguments: MatrixMultiply.Kernel.supported)
    func accumulateAddsTheProductToC(kernel: MatrixMultiply.Kernel) {
        let (m, k, n) = (23, 300, 37)
        let a = Self.matrix(m, k, seed: 11), b = Self.matrix(k, n, seed: 12), start = Self.matrix(m, n, seed: 13)
        var reference = Self.naive(a, b, m, k, n)
        for i in reference.value.indices {
            reference.value[i] += Double(start[i])
            reference.scale[i] += abs(Double(start[i]))
        }
        var c = start
        MatrixMultiply.multiply(a, b, into: &c, m: m, k: k, n: n, accumulate: true, threads: 2, kernel: kernel)
        #expect(Self.relativeError(c, reference) <= 1e-5)
    }

    /// A product of an empty sum: zero without `accumulate`, C unchanged with it.
    @Test func emptyInnerDimensionGivesZeroOrLeavesC() {
        var c: [Float] = [1, 2, 3, 4, 5, 6]
        MatrixMultiply.multiply([], [], into: &c, m: 2, k: 0, n: 3, accumulate: true)
        #expect(c == [1, 2, 3, 4, 5, 6])
        #expect(MatrixMultiply.product([], [], m: 2, k: 0, n: 3) == [0, 0, 0, 0, 0, 0])
    }

    /// The summation order depends on k alone: strips of rows (tall products) or of columns (wide ones) on any number
    /// of threads give the bits one thread gives.
    @Test func everyThreadCountGivesTheSameBits() {
        for (m, k, n) in [(301, 97, 70), (40, 500, 999), (5000, 50, 16), (400, 300, 100)] {
            let a = Self.matrix(m, k, seed: m), b = Self.matrix(k, n, seed: n)
            let one = MatrixMultiply.product(a, b, m: m, k: k, n: n, threads: 1)
            for threads in [2, 3, 4, 7] {
                #expect(MatrixMultiply.product(a, b, m: m, k: k, n: n, threads: threads) == one,
                        "\(m)x\(k)x\(n) on \(threads) threads")
            }
        }
    }

    /// Every family, the portable one included (fmaf), sums each entry in the same order with fused multiply-adds,
    /// so a product has the same bits whichever family the CPU runs.
    @Test(arguments: MatrixMultiply.Kernel.allCases.filter { $0 != .portable && $0.isSupported })
    func everyFamilyGivesThePortableBits(kernel: MatrixMultiply.Kernel) {
        for (m, k, n) in [(97, 700, 70), (1000, 144, 16), (13, 3, 5), (64, 1000, 40)] {
            let a = Self.matrix(m, k, seed: 3 * m), b = Self.matrix(k, n, seed: 5 * n)
            #expect(MatrixMultiply.product(a, b, m: m, k: k, n: n, kernel: kernel)
                    == MatrixMultiply.product(a, b, m: m, k: k, n: n, kernel: .portable), "\(kernel) \(m)x\(k)x\(n)")
        }
    }

    /// Products asked for from several threads at once (one holds the pool, the others run on their own thread)
    /// each get their own right answer.
    @Test func concurrentCallersEachGetTheirOwnProduct() {
        let (m, k, n) = (200, 60, 48)
        let inputs = (0..<4).map { (Self.matrix(m, k, seed: 100 + $0), Self.matrix(k, n, seed: 200 + $0)) }
        let expected = inputs.map { MatrixMultiply.product($0.0, $0.1, m: m, k: k, n: n, threads: 1) }
        for _ in 0..<5 {
            let results = Results(count: inputs.count)
            DispatchQueue.concurrentPerform(iterations: inputs.count) { i in
                results.set(i, MatrixMultiply.product(inputs[i].0, inputs[i].1, m: m, k: k, n: n, threads: 2))
            }
            #expect(results.values == expected)
        }
    }

    /// Asking for a family the CPU lacks runs the best one it has (never an illegal instruction). Vacuous on a CPU
    /// with every family; run the tests under an emulated older CPU to exercise it (Sources/CSGEMM/README.md).
    @Test func anUnsupportedFamilyFallsBackToTheBest() {
        let (m, k, n) = (33, 70, 29)
        let a = Self.matrix(m, k, seed: 7), b = Self.matrix(k, n, seed: 8)
        let best = MatrixMultiply.product(a, b, m: m, k: k, n: n, kernel: .best)
        for kernel in MatrixMultiply.Kernel.allCases where !kernel.isSupported {
            #expect(MatrixMultiply.product(a, b, m: m, k: k, n: n, kernel: kernel) == best)
        }
    }

    @Test func theBestKernelIsSupportedAndPortableAlwaysIs() {
        #expect(MatrixMultiply.Kernel.best.isSupported)
        #expect(MatrixMultiply.Kernel.supported.first == .portable)
        #expect(MatrixMultiply.Kernel.supported.last == MatrixMultiply.Kernel.best)
    }
}

/// Slots written once each from concurrent work items, read after all have finished.
private final class Results: @unchecked Sendable {
    private var slots: [[Float]]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: [], count: count) }
    func set(_ i: Int, _ value: [Float]) { lock.withLock { slots[i] = value } }
    var values: [[Float]] { lock.withLock { slots } }
}
