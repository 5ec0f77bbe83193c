import CSGEMM

/// Row-major single-precision matrix products, C = A·B or C += A·B, on kernels chosen at run time by the features the
/// CPU reports (AVX-512, AVX2 + FMA, or portable C), never by its name: a CPU the code has never heard of gets the
/// widest kernels it supports. No environment variable is read. See README.md for the choice and its measurements.
///
/// Summation order: every entry of C is a sum over k taken in blocks (256 terms, or all of k when k ≤ 384), each
/// block summed in increasing k from zero with fused multiply-adds, then added to C. The order does not depend on the
/// thread count nor on which part of C a thread computes, so a product gives the same bits on 1 or N threads, and the
/// AVX2 and AVX-512 kernels give the same bits as each other and as the portable kernel, which fuses through fmaf.
public enum MatrixMultiply {
    /// A family of kernels, from the most portable up.
    public enum Kernel: Int, CaseIterable, Sendable, CustomStringConvertible {
        /// Plain C for the build's baseline (SSE2 on x86-64, NEON on arm64), products fused with fmaf.
        case portable = 0
        /// 256-bit AVX2 with fused multiply-add.
        case avx2 = 1
        /// 512-bit AVX-512F.
        case avx512 = 2

        /// The widest family this CPU and operating system support (cpuid and xgetbv, read once).
        public static var best: Kernel { Kernel(rawValue: Int(csgemm_best_kernel().rawValue)) ?? .portable }

        /// The families this CPU supports, portable first.
        public static var supported: [Kernel] { allCases.filter(\.isSupported) }

        /// Whether this CPU and operating system support the family.
        public var isSupported: Bool { csgemm_kernel_supported(cKernel) != 0 }

        public var description: String {
            switch self {
            case .portable: "portable"
            case .avx2: "avx2+fma"
            case .avx512: "avx512"
            }
        }

        var cKernel: csgemm_kernel { csgemm_kernel(rawValue: UInt32(rawValue)) }
    }

    /// `c = a·b`, or `c += a·b` when `accumulate`: `a` is m×k, `b` k×n and `c` m×n, each row-major and contiguous.
    ///
    /// - Parameters:
    ///   - threads: threads to use (the calling one and pooled workers); `nil` for one per online core. A product
    ///     asked for while another thread's product holds the pool runs on the calling thread alone. The result is
    ///     the same bits whatever the count.
    ///   - kernel: the kernel family; an unsupported one falls back to ``Kernel/best``.
    /// - Precondition: the buffers hold at least m·k, k·n and m·n elements; `c` overlaps neither `a` nor `b`.
    public static func multiply(
        _ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>, into c: UnsafeMutableBufferPointer<Float>,
        m: Int, k: Int, n: Int, accumulate: Bool = false, threads: Int? = nil, kernel: Kernel = .best
    ) {
        precondition(m >= 0 && k >= 0 && n >= 0, "matrix dimensions must not be negative")
        precondition((threads ?? 1) >= 1, "a product needs at least one thread")
        precondition(a.count >= m * k && b.count >= k * n && c.count >= m * n, "a buffer is smaller than its matrix")
        guard m > 0, n > 0 else { return }
        let status = csgemm_parallel(
            kernel.cKernel, threads ?? 0, m, n, k, a.baseAddress, max(k, 1), b.baseAddress, n, c.baseAddress, n,
            accumulate ? 1 : 0)
        precondition(status == 0, "matrix product: could not allocate its packing buffers")
    }

    /// `c = a·b`, or `c += a·b` when `accumulate`, on arrays: the same as the buffer form.
    public static func multiply(
        _ a: [Float], _ b: [Float], into c: inout [Float], m: Int, k: Int, n: Int, accumulate: Bool = false,
        threads: Int? = nil, kernel: Kernel = .best
    ) {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    multiply(a, b, into: c, m: m, k: k, n: n, accumulate: accumulate, threads: threads, kernel: kernel)
                }
            }
        }
    }

    /// `a·b` for a row-major m×k `a` and k×n `b`: a new row-major m×n array.
    public static func product(
        _ a: [Float], _ b: [Float], m: Int, k: Int, n: Int, threads: Int? = nil, kernel: Kernel = .best
    ) -> [Float] {
        precondition(a.count == m * k && b.count == k * n, "an array's count is not its matrix's size")
        var c = [Float](repeating: 0, count: m * n)
        multiply(a, b, into: &c, m: m, k: k, n: n, threads: threads, kernel: kernel)
        return c
    }
}
