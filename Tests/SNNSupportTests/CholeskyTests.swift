import SNNSupport
import Testing

/// The PSD Cholesky factor both the multi-step theory and the reduced sampler use.
@Suite struct CholeskyTests {
    static func product(_ l: [Double], _ n: Int) -> [Double] {
        (0..<n * n).map { index in
            let i = index / n, j = index % n
            return (0..<n).reduce(0.0) { $0 + l[i * n + $1] * l[j * n + $1] }
        }
    }

    @Test func factorReproducesAPositiveDefiniteMatrix() {
        // A = B B^T + I for a fixed B: positive definite, entries of order 1 to 10.
        let n = 6
        let b = (0..<n * n).map { Double(($0 * 7919) % 13) / 5 - 1.2 }
        let a = (0..<n * n).map { index -> Double in
            let i = index / n, j = index % n
            return (0..<n).reduce(i == j ? 1 : 0) { $0 + b[i * n + $1] * b[j * n + $1] }
        }
        let l = Cholesky.factor(a, n)
        for i in 0..<n { for j in (i + 1)..<n { #expect(l[i * n + j] == 0) } }
        for (x, y) in zip(Self.product(l, n), a) { #expect(abs(x - y) <= 1e-12 * 10) }
    }

    /// Singular inputs: a constant matrix (rank 1, an analog input's overlap) and one with a silent step (a zero row).
    @Test func factorHandlesSingularMatricesWithExactZeros() {
        let constant = Array(repeating: 4.0, count: 9)
        let l = Cholesky.factor(constant, 3)
        #expect(l == [2, 0, 0, 2, 0, 0, 2, 0, 0])
        let silent: [Double] = [3, 0, 1, 0, 0, 0, 1, 0, 2]
        let m = Cholesky.factor(silent, 3)
        #expect(m[4] == 0 && m[3] == 0 && m[7] == 0)
        for (x, y) in zip(Self.product(m, 3), silent) { #expect(abs(x - y) <= 1e-14) }
    }
}
