/// A weight initialization: a rule for Var[w_l] given the architecture and, for the paper's scheme, the neuron.
/// The variances themselves are computed by `SNNTheory.weightVariances`, since the paper's rule needs
/// the Gaussian tail function.
public enum InitScheme: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Micheli et al.: Var[w_l] = sigma_t^2 / (n_{l-1} Q(theta / sigma_t)), and sigma_t^2 / (n_0 E[s_0^2]) at layer 1.
    case paper
    /// The authors' leak-and-reset-aware variant for subtractive reset (unit-variance potential, p = Q(theta)):
    /// Var[w] = (1 - beta^2 - theta^2 p (1 - p) + 2 beta theta E[u | u > theta]) / (n_in p).
    case paperReset
    /// The stationary variance balance of the subtractive-reset update with Cov(u, s) = phi(theta):
    /// Var[w] = (1 - beta^2 - theta^2 p (1 - p) + 2 beta theta phi(theta)) / (n_in p).
    case paperBalance
    /// Kaiming/He: 2 / n_in.
    case kaiming
    /// LeCun: 1 / n_in.
    case lecun
    /// Glorot/Xavier: 2 / (n_in + n_out).
    case glorot
    /// PyTorch's default `nn.Linear`: Uniform(-1/sqrt(n_in), 1/sqrt(n_in)), variance 1 / (3 n_in).
    case pytorch
    /// A fixed scale: Var[w] = value^2 / n_in.
    case sigmaW(Double)

    public static let allowedNames =
        "paper, paper-reset, paper-balance, kaiming, lecun, glorot, pytorch or sigma-w:VALUE (VALUE in [1e-6, 1e6])"

    /// The fixed scales sigma_w accepted by `sigma-w:VALUE`.
    public static let weightScaleRange: ClosedRange<Double> = 1e-6...1e6

    /// The membrane variances sigma_t^2 the paper's scheme may aim at: any sensible one, and far enough from the
    /// limits of a Double that theta / sigma_t and n Var[w] stay finite.
    public static let targetVarianceRange: ClosedRange<Double> = 1e-12...1e12

    /// `value` as a target variance, or the error naming `parameter` (the option that gave it).
    public static func checkedTargetVariance(_ value: Double, parameter: String = "target-variance") throws -> Double {
        guard targetVarianceRange.contains(value) else {
            throw ModelError.invalid(parameter: parameter, value: "\(value)", allowed: "a number in [1e-12, 1e12]")
        }
        return value
    }

    public init(parsing text: String) throws {
        switch text {
        case "paper": self = .paper
        case "paper-reset": self = .paperReset
        case "paper-balance": self = .paperBalance
        case "kaiming", "he": self = .kaiming
        case "lecun": self = .lecun
        case "glorot", "xavier": self = .glorot
        case "pytorch": self = .pytorch
        default:
            if text.hasPrefix("sigma-w:"), let v = Double(text.dropFirst("sigma-w:".count)),
               Self.weightScaleRange.contains(v)
            {
                self = .sigmaW(v)
            } else {
                throw ModelError.invalid(parameter: "init", value: text, allowed: Self.allowedNames)
            }
        }
    }

    /// Parses a comma-separated list such as `paper,kaiming`.
    public static func parseList(_ text: String) throws -> [InitScheme] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard !items.isEmpty, !items.contains(where: \.isEmpty) else {
            throw ModelError.invalid(parameter: "init", value: text, allowed: "a comma-separated list of " + allowedNames)
        }
        let schemes = try items.map(InitScheme.init(parsing:))
        var names: Set<String> = []
        for s in schemes where !names.insert(s.description).inserted {
            throw ModelError.invalid(parameter: "init", value: text, allowed: "each initialization once ('\(s)' is listed twice)")
        }
        return schemes
    }

    public var description: String {
        switch self {
        case .paper: "paper"
        case .paperReset: "paper-reset"
        case .paperBalance: "paper-balance"
        case .kaiming: "kaiming"
        case .lecun: "lecun"
        case .glorot: "glorot"
        case .pytorch: "pytorch"
        case let .sigmaW(v): "sigma-w:\(v)"
        }
    }

    /// The distribution the scheme is usually drawn from: PyTorch's default is uniform, the others Gaussian.
    public var naturalDistribution: WeightDistribution { self == .pytorch ? .uniform : .gaussian }
}

/// The distribution of the iid weights, with mean 0 and the scheme's variance.
public enum WeightDistribution: String, Sendable, Codable, CaseIterable {
    case gaussian
    case uniform
}
