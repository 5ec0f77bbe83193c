import SNNModel
import Testing

/// The model's values refuse what is out of range when they are made, with one line naming the parameter, and keep
/// what they are given.
@Suite struct NetworkTests {
    func network(steps: Int = 1, initialization: Initialization = .scheme(.paper, targetVariance: 1),
                 distribution: WeightDistribution? = nil) throws -> Network {
        try Network(architecture: Architecture(widths: [10, 20, 30]), neuron: NeuronModel(threshold: 1),
                    steps: steps, input: .bernoulli(rate: 0.2), initialization: initialization,
                    weightDistribution: distribution)
    }

    @Test func stepsOutsideOneTo1024AreRefusedByName() throws {
        for steps in [0, -1, 1025] {
            #expect(throws: ModelError.invalid(parameter: "steps", value: "\(steps)",
                                               allowed: "an integer from 1 to 1024")) { try network(steps: steps) }
        }
        #expect(try network(steps: 1024).steps == 1024)
    }

    @Test func givenVariancesNeedOneFiniteNonNegativeValuePerLayer() throws {
        #expect(throws: ModelError.self) { try network(initialization: .variances([0.1], name: "one")) }
        #expect(throws: ModelError.self) { try network(initialization: .variances([0.1, 0.2, 0.3], name: "three")) }
        #expect(throws: ModelError.self) { try network(initialization: .variances([0.1, .nan], name: "nan")) }
        #expect(throws: ModelError.self) { try network(initialization: .variances([0.1, -1e-9], name: "negative")) }
        #expect(throws: ModelError.self) { try network(initialization: .variances([0.1, .infinity], name: "inf")) }
        let given = try network(initialization: .variances([0.1, 0], name: "mine"))
        #expect(given.initialization == .variances([0.1, 0], name: "mine"))
        #expect(given.initialization.description == "mine")
    }

    @Test func targetVarianceOutsideItsRangeIsRefused() throws {
        for v in [0, 1e-13, 2e12, Double.nan] {
            #expect(throws: ModelError.self) { try network(initialization: .scheme(.paper, targetVariance: v)) }
        }
        #expect(try network(initialization: .scheme(.paper, targetVariance: 1e12)).initialization.description == "paper")
    }

    @Test func weightDistributionDefaultsToTheInitializationsOwn() throws {
        #expect(try network(initialization: .scheme(.pytorch, targetVariance: 1)).weightDistribution == .uniform)
        #expect(try network(initialization: .scheme(.kaiming, targetVariance: 1)).weightDistribution == .gaussian)
        #expect(try network(initialization: .variances([1, 1], name: "solved")).weightDistribution == .gaussian)
        #expect(try network(initialization: .scheme(.kaiming, targetVariance: 1), distribution: .uniform)
            .weightDistribution == .uniform)
    }

    @Test func initializedKeepsEverythingElse() throws {
        let a = try network(steps: 7)
        let b = try a.initialized(.variances([0.5, 0.25], name: "given"))
        #expect(b.architecture == a.architecture && b.neuron == a.neuron && b.steps == 7 && b.input == a.input)
        #expect(b.initialization != a.initialization)
    }

    @Test func architectureRefusesTooFewOrOutOfRangeWidths() {
        #expect(throws: ModelError.self) { try Architecture(widths: [10]) }
        #expect(throws: ModelError.self) { try Architecture(widths: [10, 0]) }
        #expect(throws: ModelError.self) { try Architecture(widths: [10, Architecture.maximumWidth + 1]) }
        #expect(throws: ModelError.invalid(parameter: "depth", value: "0", allowed: "an integer from 1 to 100000")) {
            try Architecture(inputSize: 5, width: 5, depth: 0)
        }
    }

    @Test func architectureCountsFanInsAndWidthsFromOne() throws {
        let a = try Architecture(inputSize: 784, width: 100, depth: 3)
        #expect(a.widths == [784, 100, 100, 100])
        #expect(a.depth == 3 && a.fanIn(layer: 1) == 784 && a.fanIn(layer: 2) == 100 && a.width(layer: 3) == 100)
    }

    @Test func neuronRefusesThresholdAndLeakOutOfRange() {
        for theta in [0, 1e-7, 2e6, Double.nan] {
            #expect(throws: ModelError.self) { try NeuronModel(threshold: theta) }
        }
        for beta in [-0.1, 1.1, Double.nan] {
            #expect(throws: ModelError.self) { try NeuronModel(threshold: 1, leak: beta) }
        }
    }

    @Test func inputParsesItsTwoKindsAndNothingElse() throws {
        #expect(try InputEncoding(parsing: "bernoulli:0.25") == .bernoulli(rate: 0.25))
        #expect(try InputEncoding(parsing: "gaussian:2") == .gaussian(std: 2))
        #expect(try InputEncoding(parsing: "bernoulli:1").secondMoment == 1)
        #expect(try InputEncoding(parsing: "gaussian:3").secondMoment == 9)
        for bad in ["bernoulli:0", "bernoulli:1.5", "gaussian:0", "gaussian:-1", "poisson:1", "bernoulli", "", "gaussian:inf"] {
            #expect(throws: ModelError.self, "\(bad)") { try InputEncoding(parsing: bad) }
        }
    }

    @Test func initListNamesEachSchemeOnce() throws {
        #expect(try InitScheme.parseList("paper,he,xavier") == [.paper, .kaiming, .glorot])
        #expect(try InitScheme(parsing: "sigma-w:2.5") == .sigmaW(2.5))
        #expect(throws: ModelError.self) { try InitScheme.parseList("paper,kaiming,he") }
        #expect(throws: ModelError.self) { try InitScheme.parseList("paper,,kaiming") }
        #expect(throws: ModelError.self) { try InitScheme(parsing: "sigma-w:0") }
        #expect(throws: ModelError.self) { try InitScheme(parsing: "orthogonal") }
    }
}
