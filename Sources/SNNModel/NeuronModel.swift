/// How a neuron's membrane potential is reset after a spike (THEORY.md section 1).
public enum Reset: String, CaseIterable, Sendable, Codable {
    /// u[t] = beta u[t-1] + I[t] - theta s[t-1]: the spike's threshold is subtracted.
    case subtract
    /// u[t] = beta u[t-1] (1 - s[t-1]) + I[t]: the potential is set to zero after a spike.
    case zero
}

/// The discrete-time leaky integrate-and-fire neuron of THEORY.md section 1.
///
/// Update order per time step: leak and reset from the previous step, add the input current, compare with
/// the threshold: `u[t] = beta u[t-1] + I[t] - theta s[t-1]` (subtract) and `s[t] = H(u[t] - theta)`.
/// This matches a snnTorch `Leaky` neuron with `reset_mechanism="subtract"` (or `"zero"`).
public struct NeuronModel: Sendable, Equatable, Codable {
    /// theta in [1e-6, 1e6] (`thresholdRange`).
    public let threshold: Double
    /// beta in [0, 1]; 1 is the non-leaky integrate-and-fire neuron.
    public let leak: Double
    public let reset: Reset

    /// The thresholds accepted: wide enough for any network, narrow enough that theta^2, theta / sigma and the
    /// membrane variances they imply stay far from overflow and underflow.
    public static let thresholdRange: ClosedRange<Double> = 1e-6...1e6

    public init(threshold: Double, leak: Double = 0.9, reset: Reset = .subtract) throws {
        guard Self.thresholdRange.contains(threshold) else {
            throw ModelError.invalid(parameter: "theta", value: "\(threshold)", allowed: "a number in [1e-6, 1e6]")
        }
        guard leak.isFinite, leak >= 0, leak <= 1 else {
            throw ModelError.invalid(parameter: "beta", value: "\(leak)", allowed: "a number in [0, 1]")
        }
        self.threshold = threshold
        self.leak = leak
        self.reset = reset
    }

    /// One line naming the conventions, for output headers.
    public var conventions: String {
        switch reset {
        case .subtract: "u[t] = beta*u[t-1] + W s[t] - theta*s_out[t-1]; spike if u[t] > theta (reset by subtraction)"
        case .zero: "u[t] = beta*u[t-1]*(1 - s_out[t-1]) + W s[t]; spike if u[t] > theta (reset to zero)"
        }
    }
}

/// A parameter outside its allowed range: the message names the parameter, the value and what is allowed.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    case invalid(parameter: String, value: String, allowed: String)

    public var description: String {
        switch self {
        case let .invalid(parameter, value, allowed): "\(parameter): '\(value)' is not allowed; expected \(allowed)"
        }
    }
}
