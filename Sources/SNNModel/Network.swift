/// The network a question is about: its layers, its neurons, how many steps it runs, what it is fed and how its
/// weights are initialized. The theory predicts it, the simulator runs it, the verification compares the two; each
/// takes this one value. Its rules across fields are checked once, here, and its errors speak of the model.
///
/// Today every layer is fully connected and shares one neuron; a graph read from a file (layers of other kinds and
/// sizes, a neuron per layer, weights of its own) is described by extending this value, not by a second type.
public struct Network: Sendable, Equatable, Codable {
    /// The layer sizes n_0 (inputs), n_1, ..., n_L.
    public let architecture: Architecture
    /// The neuron of every layer.
    public let neuron: NeuronModel
    /// T, the number of time steps.
    public let steps: Int
    public let input: InputEncoding
    public let initialization: Initialization
    /// The law the weights are drawn from, with mean 0 and the initialization's variance.
    public let weightDistribution: WeightDistribution

    /// The longest run: every command's horizon; the multi-step theory's work grows as T^2.
    public static let maximumSteps = 1024

    /// `steps` if in 1...`maximumSteps`.
    public static func checkedSteps(_ steps: Int) throws -> Int {
        guard steps >= 1, steps <= maximumSteps else {
            throw ModelError.invalid(parameter: "steps", value: "\(steps)", allowed: "an integer from 1 to \(maximumSteps)")
        }
        return steps
    }

    public init(architecture: Architecture, neuron: NeuronModel, steps: Int = 1, input: InputEncoding,
                initialization: Initialization = .scheme(.paper, targetVariance: 1),
                weightDistribution: WeightDistribution? = nil) throws {
        _ = try Self.checkedSteps(steps)
        switch initialization {
        case let .scheme(_, targetVariance):
            _ = try InitScheme.checkedTargetVariance(targetVariance)
        case let .variances(variances, _):
            guard variances.count == architecture.depth else {
                throw ModelError.invalid(parameter: "weight variances", value: "\(variances.count) values",
                                         allowed: "one per layer (\(architecture.depth))")
            }
            for v in variances where !(v.isFinite && v >= 0) {
                throw ModelError.invalid(parameter: "weight variance", value: "\(v)", allowed: "a finite number >= 0")
            }
        }
        self.architecture = architecture
        self.neuron = neuron
        self.steps = steps
        self.input = input
        self.initialization = initialization
        self.weightDistribution = weightDistribution ?? initialization.naturalDistribution
    }

    /// The same network, initialized otherwise (the weight distribution follows the new initialization's own).
    public func initialized(_ initialization: Initialization, weightDistribution: WeightDistribution? = nil) throws
        -> Network
    {
        try Network(architecture: architecture, neuron: neuron, steps: steps, input: input,
                    initialization: initialization, weightDistribution: weightDistribution)
    }
}

/// How the weights' variances Var[w_l] are set: by a scheme (the theory evaluates it: the paper's needs the
/// Gaussian tail), or given per layer (solved, read from a file).
public enum Initialization: Sendable, Equatable, Codable, CustomStringConvertible {
    /// A scheme, and the membrane variance sigma_t^2 that the paper's schemes hold.
    case scheme(InitScheme, targetVariance: Double)
    /// Var[w_l] for l = 1...L, and the name reports give them.
    case variances([Double], name: String)

    public var description: String {
        switch self {
        case let .scheme(scheme, _): scheme.description
        case let .variances(_, name): name
        }
    }

    /// PyTorch's default is drawn uniform; every other scheme, and given variances, Gaussian.
    public var naturalDistribution: WeightDistribution {
        if case let .scheme(scheme, _) = self { return scheme.naturalDistribution }
        return .gaussian
    }
}
