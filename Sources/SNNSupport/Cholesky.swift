/// The lower Cholesky factor of a positive semi-definite matrix. Both the multi-step theory (the covariance of the
/// currents in TemporalKernel) and the reduced sampler (the overlap matrix of a layer) factor such matrices, and
/// neither module may import the other.
public enum Cholesky {
    /// Writes the lower-triangular L with L L^T = A for a positive semi-definite n x n A to `l` (both row-major): a
    /// pivot below 1e-12 of its diagonal entry is taken as an exact zero (singular matrices are common here: a
    /// constant analog input's covariance, equal spike trains, silent steps).
    public static func factor(_ a: UnsafePointer<Double>, _ n: Int, into l: UnsafeMutablePointer<Double>) {
        l.initialize(repeating: 0, count: n * n)
        for j in 0..<n {
            var d = a[j * n + j]
            for k in 0..<j { d -= l[j * n + k] * l[j * n + k] }
            if d <= 1e-12 * a[j * n + j] || d <= 0 { continue }
            let pivot = d.squareRoot()
            l[j * n + j] = pivot
            for i in (j + 1)..<n {
                var s = a[i * n + j]
                for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
                l[i * n + j] = s / pivot
            }
        }
    }

    /// `factor` for an array, returning L.
    public static func factor(_ a: [Double], _ n: Int) -> [Double] {
        var l = [Double](repeating: 0, count: n * n)
        a.withUnsafeBufferPointer { a in
            l.withUnsafeMutableBufferPointer { factor(a.baseAddress!, n, into: $0.baseAddress!) }
        }
        return l
    }
}
