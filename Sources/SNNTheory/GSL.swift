import CGSL

/// A GSL routine reported failure; the status code is GSL's, the reason its own text.
public struct GSLError: Error, CustomStringConvertible, Sendable {
    public let status: Int32
    public let routine: String
    public var description: String {
        let reason = String(cString: gsl_strerror(status))
        return "\(routine) failed: \(reason) (GSL status \(status))"
    }
}

/// Thin wrappers around the GSL routines the theory needs (with GSL+FiniteWidth.swift, the only files that import
/// CGSL), each switching GSL's abort-on-error handler off before it calls GSL. Code above them never sees a raw
/// pointer or a status code.
enum GSL {
    /// GSL's default error handler aborts the process. It is switched off once, before the first GSL call.
    private static let handlerOff: Void = { _ = gsl_set_error_handler_off() }()

    static func prepare() { _ = handlerOff }

    static func check(_ status: Int32, _ routine: String) throws {
        if status != Int32(GSL_SUCCESS) { throw GSLError(status: status, routine: routine) }
    }

    /// A quadrature that met roundoff before its (strict) tolerance still returns a usable value when its own error
    /// estimate is small; that estimate travels with the value, so nothing is hidden.
    static func checkQuadrature(_ status: Int32, _ routine: String, _ value: Double, _ error: Double) throws {
        if status == Int32(GSL_EROUND), value.isFinite, error <= 1e-9 + 1e-6 * abs(value) { return }
        try check(status, routine)
    }

    /// The result of an adaptive quadrature with GSL's error estimate.
    struct Quadrature {
        var value: Double
        var absoluteError: Double
    }

    private final class Box {
        let f: (Double) -> Double
        init(_ f: @escaping (Double) -> Double) { self.f = f }
    }

    private static func withGSLFunction<R>(_ f: @escaping (Double) -> Double,
                                           _ body: (UnsafeMutablePointer<gsl_function>) throws -> R) rethrows -> R {
        let box = Box(f)
        return try withExtendedLifetime(box) {
            var function = gsl_function(
                function: { x, params in
                    Unmanaged<Box>.fromOpaque(params!).takeUnretainedValue().f(x)
                },
                params: Unmanaged.passUnretained(box).toOpaque())
            return try withUnsafeMutablePointer(to: &function) { try body($0) }
        }
    }

    private static func withWorkspace<R>(_ body: (UnsafeMutablePointer<gsl_integration_workspace>) throws -> R) throws -> R {
        prepare()
        guard let ws = gsl_integration_workspace_alloc(workspaceSize) else {
            throw GSLError(status: Int32(GSL_ENOMEM), routine: "gsl_integration_workspace_alloc")
        }
        defer { gsl_integration_workspace_free(ws) }
        return try body(ws)
    }

    static let workspaceSize = 2000

    /// integral_a^infinity f(x) dx (QAGIU, 15-point Gauss-Kronrod on a transformed interval).
    static func integrateToInfinity(from a: Double, absoluteTolerance: Double = 0, relativeTolerance: Double = 1e-13,
                                    _ f: @escaping (Double) -> Double) throws -> Quadrature {
        try withWorkspace { ws in
            try withGSLFunction(f) { fn in
                var result = 0.0, error = 0.0
                let status = gsl_integration_qagiu(fn, a, absoluteTolerance, relativeTolerance, workspaceSize, ws,
                                                   &result, &error)
                try checkQuadrature(status, "gsl_integration_qagiu", result, error)
                return Quadrature(value: result, absoluteError: error)
            }
        }
    }

    /// integral_-infinity^b f(x) dx (QAGIL).
    static func integrateFromMinusInfinity(to b: Double, absoluteTolerance: Double = 0,
                                           relativeTolerance: Double = 1e-12,
                                           _ f: @escaping (Double) -> Double) throws -> Quadrature {
        try withWorkspace { ws in
            try withGSLFunction(f) { fn in
                var result = 0.0, error = 0.0
                let status = gsl_integration_qagil(fn, b, absoluteTolerance, relativeTolerance, workspaceSize, ws,
                                                   &result, &error)
                try checkQuadrature(status, "gsl_integration_qagil", result, error)
                return Quadrature(value: result, absoluteError: error)
            }
        }
    }

    /// integral_a^b f(x) dx with end-point singularities allowed (QAGS, extrapolation).
    static func integrate(from a: Double, to b: Double, absoluteTolerance: Double = 0,
                          relativeTolerance: Double = 1e-13,
                          _ f: @escaping (Double) -> Double) throws -> Quadrature {
        try withWorkspace { ws in
            try withGSLFunction(f) { fn in
                var result = 0.0, error = 0.0
                let status = gsl_integration_qags(fn, a, b, absoluteTolerance, relativeTolerance, workspaceSize, ws,
                                                  &result, &error)
                try checkQuadrature(status, "gsl_integration_qags", result, error)
                return Quadrature(value: result, absoluteError: error)
            }
        }
    }

    /// Brent's method for a root of f bracketed by [lower, upper].
    static func findRoot(lower: Double, upper: Double, relativeTolerance: Double = 1e-14,
                         maxIterations: Int = 200, _ f: @escaping (Double) -> Double) throws -> Double {
        prepare()
        guard let solver = gsl_root_fsolver_alloc(cgsl_root_fsolver_brent()) else {
            throw GSLError(status: Int32(GSL_ENOMEM), routine: "gsl_root_fsolver_alloc")
        }
        defer { gsl_root_fsolver_free(solver) }
        return try withGSLFunction(f) { fn in
            try check(gsl_root_fsolver_set(solver, fn, lower, upper), "gsl_root_fsolver_set")
            for _ in 0..<maxIterations {
                try check(gsl_root_fsolver_iterate(solver), "gsl_root_fsolver_iterate")
                let lo = gsl_root_fsolver_x_lower(solver), hi = gsl_root_fsolver_x_upper(solver)
                if gsl_root_test_interval(lo, hi, 0, relativeTolerance) == Int32(GSL_SUCCESS) {
                    return gsl_root_fsolver_root(solver)
                }
            }
            throw GSLError(status: Int32(GSL_EMAXITER), routine: "gsl_root_fsolver_iterate")
        }
    }

    /// erfc(x) (`gsl_sf_erfc`).
    static func erfc(_ x: Double) -> Double {
        prepare()
        return gsl_sf_erfc(x)
    }

    /// erf(x) (`gsl_sf_erf`), relative accuracy near 0 kept (erf(x) ~ 2x / sqrt(pi)).
    static func erf(_ x: Double) -> Double {
        prepare()
        return gsl_sf_erf(x)
    }

    /// The z with P(Z > z) = p for a standard normal Z, 0 < p < 1 (`gsl_cdf_ugaussian_Qinv`).
    static func normalTailInverse(_ p: Double) -> Double {
        prepare()
        return gsl_cdf_ugaussian_Qinv(p)
    }

    /// The z with P(Z <= z) = p for a standard normal Z, 0 < p < 1 (`gsl_cdf_ugaussian_Pinv`).
    static func normalQuantile(_ p: Double) -> Double {
        prepare()
        return gsl_cdf_ugaussian_Pinv(p)
    }

    /// The first `count` points of a `dimension`-dimensional low-discrepancy sequence, point-major: Sobol up to 40
    /// dimensions (GSL's limit for it), reverse Halton beyond.
    static func quasiRandomPoints(count: Int, dimension: Int) throws -> [Double] {
        prepare()
        let type = dimension <= 40 ? cgsl_qrng_sobol() : cgsl_qrng_reversehalton()
        guard let q = gsl_qrng_alloc(type, UInt32(dimension)) else {
            throw GSLError(status: Int32(GSL_ENOMEM), routine: "gsl_qrng_alloc")
        }
        defer { gsl_qrng_free(q) }
        var points = [Double](repeating: 0, count: count * dimension)
        try points.withUnsafeMutableBufferPointer { buffer in
            for i in 0..<count {
                try check(gsl_qrng_get(q, buffer.baseAddress! + i * dimension), "gsl_qrng_get")
            }
        }
        return points
    }
}
