#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A surrogate gradient: the h(x) a framework's backward pass uses in place of the derivative of the spike
/// s = H(u - theta), evaluated at x = u - theta (THEORY.md section 7).
///
/// h(x) = `amplitude` x g(x), g the family's shape at its `scale`. Every family is a function of x = u - theta alone:
/// snnTorch passes `mem - threshold` to its surrogate (`snntorch/_neurons/neurons.py`, `SpikingNeuron.fire`),
/// SpikingJelly `v - v_threshold` (`spikingjelly/activation_based/neuron/base_node.py`, `neuronal_fire`).
/// The command-line spelling is `NAME[:SCALE[:AMPLITUDE]]`, e.g. `atan:2`, `fast_sigmoid:25`, `gaussian:0.43`,
/// `spike_rate_escape:1:25`; an omitted scale or amplitude takes the framework's default.
public struct Surrogate: Sendable, Hashable, CustomStringConvertible {
    /// The families, named as the command line spells them. Sources: snnTorch `snntorch/surrogate.py` (commit
    /// 634fc22) and SpikingJelly `spikingjelly/activation_based/surrogate.py` (commit afb1322); line numbers below are
    /// those files'.
    public enum Kind: String, CaseIterable, Sendable, Hashable {
        /// snnTorch `ATan.backward` (lines 194-203), `atan(alpha=2.0)`: h(x) = (alpha / 2) / (1 + (pi/2 alpha x)^2).
        /// SpikingJelly's `atan_backward` (`ATan(alpha=2.0)`) is the same function. Integral over x: 1.
        case atan
        /// snnTorch `FastSigmoid.backward` (lines 139-143), `fast_sigmoid(slope=25)`: h(x) = 1 / (slope |x| + 1)^2.
        /// Integral over x: 2 / slope (not 1).
        case fastSigmoid = "fast_sigmoid"
        /// snnTorch `Sigmoid.backward` (lines 301-310), `sigmoid(slope=25)`:
        /// h(x) = slope e^(-slope x) / (e^(-slope x) + 1)^2, the derivative of the logistic function sigma(slope x).
        /// SpikingJelly's `Sigmoid(alpha=4.0)` is the same function with slope = alpha. Integral over x: 1.
        case sigmoid
        /// snnTorch `Triangular.backward` (lines 85-90), `triangular(threshold=1)`: as written, h(x) = c for x < 0
        /// and -c for x >= 0, c the `threshold` argument (the surrogate's own, not the neuron's). Despite its name
        /// it is a signed step, not a bump: not integrable over x, E[h] still defined for a Gaussian u.
        case triangular
        /// snnTorch `StraightThroughEstimator.backward` (lines 38-40), `straight_through_estimator()`: h(x) = 1
        /// everywhere, no parameter. Not integrable over x.
        case straightThrough = "straight_through"
        /// snnTorch `SpikeRateEscape.backward` (lines 361-369), `spike_rate_escape(beta=1, slope=25)`:
        /// h(x) = slope e^(-beta |x - 1|). Centred at x = 1, i.e. at u = theta + 1, not at the threshold.
        /// Here `scale` is beta and `amplitude` is snnTorch's `slope` (default 25). Integral over x: 2 slope / beta.
        case spikeRateEscape = "spike_rate_escape"
        /// SpikingJelly `rect_backward` (line 3297), `Rect(alpha=1.0)`: h(x) = alpha for |x| < 0.5 / alpha, else 0.
        /// Integral over x: 1.
        case rectangular = "rect"
        /// SpikingJelly `piecewise_quadratic_backward` (lines 441-444), `PiecewiseQuadratic(alpha=1.0)`:
        /// h(x) = alpha - alpha^2 |x| for |x| <= 1 / alpha, else 0 (a triangle). Integral over x: 1.
        case piecewiseQuadratic = "piecewise_quadratic"
        /// A Gaussian of standard deviation a: h(x) = exp(-x^2 / (2 a^2)) / (sqrt(2 pi) a). No framework ships it as
        /// a named surrogate; the default a = 1 / sqrt(2 pi) = 0.39894... gives h(0) = 1, the peak of atan's default.
        /// Integral over x: 1.
        case gaussian

        /// The framework's default scale (snnTorch's or SpikingJelly's constructor default; see each case).
        public var defaultScale: Double {
            switch self {
            case .atan: 2
            case .fastSigmoid, .sigmoid: 25
            case .triangular, .straightThrough, .spikeRateEscape, .rectangular, .piecewiseQuadratic: 1
            case .gaussian: 1 / (2 * Double.pi).squareRoot()
            }
        }

        /// The default amplitude: snnTorch's `slope = 25` for spike_rate_escape, 1 for every other family.
        public var defaultAmplitude: Double { self == .spikeRateEscape ? 25 : 1 }

        /// What the scale is called in the framework.
        public var scaleName: String {
            switch self {
            case .atan, .rectangular, .piecewiseQuadratic: "alpha"
            case .fastSigmoid, .sigmoid: "slope"
            case .triangular: "threshold"
            case .straightThrough: "none"
            case .spikeRateEscape: "beta"
            case .gaussian: "std a"
            }
        }
    }

    public let kind: Kind
    /// The family's parameter (see `Kind`); 1 for straight_through, which has none.
    public let scale: Double
    /// A factor on the whole of h; the framework's own only for spike_rate_escape (its `slope`).
    public let amplitude: Double

    /// Scales and amplitudes accepted: positive, and far enough from the limits of a Double that scale x and
    /// scale^2 stay finite for any potential the toolkit handles.
    public static let parameterRange: ClosedRange<Double> = 1e-6...1e6

    /// The spelling, each name with what its scale is and its default, e.g. `atan (alpha, 2)`.
    public static let allowedSpelling = "NAME[:SCALE[:AMPLITUDE]] with NAME one of "
        + Kind.allCases.map { kind in
            kind == .straightThrough ? "\(kind.rawValue) (no parameter)"
                : "\(kind.rawValue) (\(kind.scaleName), \(kind.defaultScale))"
        }.joined(separator: ", ")
        + " and SCALE, AMPLITUDE numbers in [1e-6, 1e6]"

    /// A surrogate with the given parameters, each defaulting to the framework's. straight_through refuses any.
    public init(_ kind: Kind, scale: Double? = nil, amplitude: Double? = nil) throws {
        if kind == .straightThrough, scale != nil || amplitude != nil {
            throw ModelError.invalid(parameter: "surrogate", value: "straight_through with a parameter",
                                     allowed: "straight_through alone (its gradient is 1 everywhere)")
        }
        for (name, value) in [("scale", scale), ("amplitude", amplitude)] {
            if let value, !Self.parameterRange.contains(value) {
                throw ModelError.invalid(parameter: "surrogate \(name)", value: "\(value)",
                                         allowed: "a number in [1e-6, 1e6]")
            }
        }
        self.kind = kind
        self.scale = scale ?? kind.defaultScale
        self.amplitude = amplitude ?? kind.defaultAmplitude
    }

    /// Reads `NAME[:SCALE[:AMPLITUDE]]`; an unknown name, a scale that is not a number in range, or a parameter given
    /// to straight_through is refused with one line naming `surrogate`.
    public init(parsing text: String) throws {
        let fields = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard let kind = Kind(rawValue: fields[0]), fields.count <= 3 else {
            throw ModelError.invalid(parameter: "surrogate", value: text, allowed: Self.allowedSpelling)
        }
        let numbers = fields.dropFirst().map { Double($0) }
        if kind == .straightThrough && fields.count > 1
            || numbers.contains(where: { $0 == nil || !Self.parameterRange.contains($0!) })
        {
            throw ModelError.invalid(parameter: "surrogate", value: text, allowed: Self.allowedSpelling)
        }
        try self.init(kind, scale: numbers.first ?? nil, amplitude: numbers.dropFirst().first ?? nil)
    }

    /// The command-line spelling, read back by `init(parsing:)` to an equal value.
    public var description: String {
        if kind == .straightThrough { return kind.rawValue }
        let base = "\(kind.rawValue):\(scale)"
        return amplitude == kind.defaultAmplitude ? base : base + ":\(amplitude)"
    }

    /// h(x) at x = u - theta in double precision, in the framework's formula (see `Kind`). sigmoid uses the
    /// symmetric form slope e^(-slope |x|) / (1 + e^(-slope |x|))^2, equal to snnTorch's where that is finite: its
    /// e^(-slope x) overflows for slope x < -709 (float32: < -88.7), and inf / inf gives NaN there.
    public func derivative(_ x: Double) -> Double {
        amplitude * shape(x)
    }

    /// h(x) in single precision, as a float32 tensor computes it: the Python-float constants (alpha / 2,
    /// pi / 2 x alpha, 0.5 / alpha, ...) are formed in double and rounded to Float once, then the arithmetic is Float.
    public func derivative(_ x: Float) -> Float {
        Float(amplitude) * shape(x)
    }

    private func shape(_ x: Double) -> Double {
        let a = scale
        switch kind {
        case .atan:
            let y = Double.pi / 2 * a * x
            return a / 2 / (1 + y * y)
        case .fastSigmoid:
            let d = a * abs(x) + 1
            return 1 / (d * d)
        case .sigmoid:
            let e = exp(-a * abs(x))
            return a * e / ((e + 1) * (e + 1))
        case .triangular:
            return x < 0 ? a : -a
        case .straightThrough:
            return 1
        case .spikeRateEscape:
            return exp(-a * abs(x - 1))
        case .rectangular:
            return abs(x) < 0.5 / a ? a : 0
        case .piecewiseQuadratic:
            return abs(x) > 1 / a ? 0 : -(a * a) * abs(x) + a
        case .gaussian:
            let r = x / a
            return exp(-0.5 * r * r) / ((2 * Double.pi).squareRoot() * a)
        }
    }

    /// h(u[k] - theta) into h[k] for k < count: `derivative(_: Float)` at each x = u[k] - theta, the same bits, with
    /// the family chosen once for the whole run of values (the backward pass evaluates a column of potentials at a
    /// time).
    public func derivatives(of u: UnsafePointer<Float>, threshold theta: Float, into h: UnsafeMutablePointer<Float>,
                            count: Int) {
        let amplitude = Float(self.amplitude)
        withFloatShape { shape in
            for k in 0..<count { h[k] = amplitude * shape(u[k] - theta) }
        }
    }

    private func shape(_ x: Float) -> Float {
        withFloatShape { $0(x) }
    }

    /// Calls `body` with the family's Float32 shape g at its scale, the constants rounded to Float once.
    @inline(__always) private func withFloatShape<R>(_ body: ((Float) -> Float) -> R) -> R {
        let a = Float(scale)
        switch kind {
        case .atan:
            let c = Float(Double.pi / 2 * scale), half = Float(scale / 2)
            return body { x in
                let y = c * x
                return half / (1 + y * y)
            }
        case .fastSigmoid:
            return body { x in
                let d = a * abs(x) + 1
                return 1 / (d * d)
            }
        case .sigmoid:
            return body { x in
                let e = expf(-a * abs(x))
                return a * e / ((e + 1) * (e + 1))
            }
        case .triangular:
            return body { x in x < 0 ? a : -a }
        case .straightThrough:
            return body { _ in 1 }
        case .spikeRateEscape:
            return body { x in expf(-a * abs(x - 1)) }
        case .rectangular:
            let half = Float(0.5 / scale)
            return body { x in abs(x) < half ? a : 0 }
        case .piecewiseQuadratic:
            let edge = Float(1 / scale), slope = Float(-(scale * scale))
            return body { x in abs(x) > edge ? 0 : slope * abs(x) + a }
        case .gaussian:
            let norm = Float((2 * Double.pi).squareRoot() * scale)
            return body { x in
                let r = x / a
                return expf(-0.5 * r * r) / norm
            }
        }
    }
}
