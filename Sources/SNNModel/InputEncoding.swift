/// What the first layer receives at every time step (THEORY.md sections 3 and 4).
public enum InputEncoding: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Binary input spikes, each input neuron independently Bernoulli(rate) at every time step.
    case bernoulli(rate: Double)
    /// Analog input currents: each input x_i ~ N(0, std^2), drawn once and held constant over the time steps,
    /// fed through the first layer's weights like spikes (I_1 = W_1 x).
    case gaussian(std: Double)

    /// Parses `bernoulli:P` (0 < P <= 1) or `gaussian:S` (S > 0).
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let allowed = "bernoulli:P with 0 < P <= 1, or gaussian:S with S > 0"
        guard parts.count == 2, let value = Double(parts[1]), value.isFinite else {
            throw ModelError.invalid(parameter: "input", value: text, allowed: allowed)
        }
        switch parts[0] {
        case "bernoulli" where value > 0 && value <= 1: self = .bernoulli(rate: value)
        case "gaussian" where value > 0: self = .gaussian(std: value)
        default: throw ModelError.invalid(parameter: "input", value: text, allowed: allowed)
        }
    }

    public var description: String {
        switch self {
        case let .bernoulli(p): "bernoulli:\(p)"
        case let .gaussian(s): "gaussian:\(s)"
        }
    }

    /// E[s_0^2]: the input's second moment at one time step, which sets the first layer's current variance.
    public var secondMoment: Double {
        switch self {
        case let .bernoulli(p): p
        case let .gaussian(s): s * s
        }
    }

    /// K_0(t, t') = E[s_0[t] s_0[t']]: p on the diagonal and p^2 off it for Bernoulli spikes,
    /// S^2 everywhere for a constant analog input.
    public func temporalKernel(t: Int, tPrime: Int) -> Double {
        switch self {
        case let .bernoulli(p): t == tPrime ? p : p * p
        case let .gaussian(s): s * s
        }
    }
}
