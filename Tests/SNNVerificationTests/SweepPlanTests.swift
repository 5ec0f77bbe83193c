import SNNModel
import SNNSimulator
import SNNTheory
import Testing
@testable import SNNVerification

/// The plan of a sweep: its cells in sweep order, each cell's seed, the shards, the settings' checks and the scales
/// computed once per cell.
@Suite struct SweepPlanTests {
    /// For every N up to 7 and sweeps of 0 to 20 cells, the shards I/N (parsed as given on the command line) hold
    /// every position exactly once, and shard I holds exactly the positions p with p mod N = I - 1.
    @Test func shardsOfOneCountPartitionTheSweepExactly() throws {
        for n in 1...7 {
            let shards = try (1...n).map { try Shard(parsing: "\($0)/\(n)") }
            for size in 0...20 {
                for position in 0..<size {
                    let holders = shards.indices.filter { shards[$0].contains(position) }
                    #expect(holders == [position % n], "position \(position) of \(size) in shards of \(n)")
                }
            }
        }
        // Through a plan: the shards' positions, joined, are the sweep's positions, each once.
        let cells = SweepPlan.cells(widths: [10, 20, 30], thetas: [0.5, 1, 2], betas: [0.9], inits: ["paper"])
        var joined: [Int] = []
        for i in 1...4 {
            let plan = try SweepPlan(cells: cells, settings: SweepFixtures.settings(), shard: Shard(parsing: "\(i)/4"))
            #expect(plan.positions.allSatisfy { $0 % 4 == i - 1 })
            joined += plan.positions
        }
        #expect(joined.sorted() == Array(cells.indices))
    }

    @Test func shardTextIsIOfNWithOneAtMostIAtMostN() throws {
        #expect(try Shard(parsing: "2/8") == Shard(index: 1, count: 8))
        #expect(try Shard(parsing: " 1 / 1 ") == .whole)
        for text in ["0/2", "3/2", "1/0", "-1/2", "a/b", "1/2/3", "1", "", "1/1000001"] {
            #expect(throws: ModelError.self, "\(text)") { try Shard(parsing: text) }
            do { _ = try Shard(parsing: text) } catch let ModelError.invalid(parameter, _, _) {
                #expect(parameter == "shard")
            }
        }
    }

    /// A cell's seed is a function of the sweep's seed and the cell alone: the same in a sweep of other cells, in
    /// another order, in another shard; distinct cells and distinct sweep seeds give distinct seeds.
    @Test func cellSeedsAreIndependentOfSweepOrderAndOfTheOtherCells() throws {
        let big = SweepPlan.cells(widths: [10, 20, 30], thetas: [0.5, 1], betas: [0.5, 0.9], inits: ["paper", "kaiming"])
        let small = SweepPlan.cells(widths: [30, 10], thetas: [1], betas: [0.9], inits: ["kaiming"])
        let seedsOfBig = Dictionary(uniqueKeysWithValues: big.map { ("\($0)", SweepPlan.cellSeed(7, $0)) })
        for cell in small { #expect(SweepPlan.cellSeed(7, cell) == seedsOfBig["\(cell)"]) }
        #expect(Set(seedsOfBig.values).count == big.count)
        #expect(big.allSatisfy { SweepPlan.cellSeed(7, $0) != SweepPlan.cellSeed(8, $0) })
        // Each part of the cell enters its seed.
        let cell = ComparisonCell(width: 10, theta: 1, beta: 0.9, scheme: "paper")
        let neighbours = [ComparisonCell(width: 11, theta: 1, beta: 0.9, scheme: "paper"),
                          ComparisonCell(width: 10, theta: 1.0.nextUp, beta: 0.9, scheme: "paper"),
                          ComparisonCell(width: 10, theta: 1, beta: 0.9.nextDown, scheme: "paper"),
                          ComparisonCell(width: 10, theta: 1, beta: 0.9, scheme: "paper-reset")]
        for other in neighbours { #expect(SweepPlan.cellSeed(7, other) != SweepPlan.cellSeed(7, cell), "\(other)") }
    }

    @Test func cellsAreInSweepOrderInitThenBetaThenWidthThenTheta() {
        let cells = SweepPlan.cells(widths: [10, 20], thetas: [0.5, 1, 2], betas: [0.5, 0.9], inits: ["paper", "kaiming"])
        #expect(cells.count == 2 * 3 * 2 * 2)
        #expect(cells[0] == ComparisonCell(width: 10, theta: 0.5, beta: 0.5, scheme: "paper"))
        #expect(cells[1] == ComparisonCell(width: 10, theta: 1, beta: 0.5, scheme: "paper"))
        #expect(cells[3] == ComparisonCell(width: 20, theta: 0.5, beta: 0.5, scheme: "paper"))
        #expect(cells[6] == ComparisonCell(width: 10, theta: 0.5, beta: 0.9, scheme: "paper"))
        #expect(cells[12] == ComparisonCell(width: 10, theta: 0.5, beta: 0.5, scheme: "kaiming"))
    }

    @Test func listsHoldEachValueOnceAndNameTheirOption() throws {
        #expect(try SweepLists.widths("100, 300,1000") == [100, 300, 1000])
        // -0 is 0: the seed is taken from the bits of beta.
        #expect(try SweepLists.betas("-0,1").map(\.sign) == [.plus, .plus])
        #expect(try SweepLists.inits("paper,target-rate:0.10") == ["paper", "target-rate:0.1"])
        let refusals: [(() throws -> Any, String)] = [
            ({ try SweepLists.widths("100,0") }, "widths"), ({ try SweepLists.widths("10,10") }, "widths"),
            ({ try SweepLists.thetas("1,-2") }, "thetas"), ({ try SweepLists.thetas("nan") }, "thetas"),
            ({ try SweepLists.betas("2") }, "betas"), ({ try SweepLists.inits("paper,,kaiming") }, "inits"),
            ({ try SweepLists.inits("nope") }, "inits"), ({ try SweepLists.inits("paper,paper") }, "inits"),
            ({ try SweepLists.inits("target-rate:1") }, "inits"),
        ]
        for (parse, name) in refusals {
            do {
                _ = try parse()
                Issue.record("accepted a bad \(name) list")
            } catch let ModelError.invalid(parameter, _, _) {
                #expect(parameter == name)
            }
        }
    }

    /// Two networks at least (the verdicts need a standard error), and the reduced sampler's one input per network
    /// and Gaussian weights.
    @Test func settingsRefuseWhatNoVerdictCouldComeFrom() throws {
        #expect(throws: ModelError.self) { try SweepFixtures.settings(networks: 1) }
        #expect(throws: ModelError.self) { try SweepFixtures.settings(depth: 0) }
        #expect(throws: ModelError.self) { try SweepFixtures.settings(tolerance: 1) }
        let reduced = try SweepFixtures.settings(method: .reduced)
        #expect(reduced.weights == .gaussian)
        #expect(try SweepFixtures.settings().weights == nil)
        let refusal = ModelError.invalid(parameter: "batch", value: "2",
                                         allowed: "1 with --method reduced (the sampler is exact for one input per network)")
        #expect(throws: refusal) {
            try SweepSettings(depth: 2, inputSize: nil, reset: .subtract, steps: 1, input: .bernoulli(rate: 0.2),
                              targetVariance: 1, batch: 2, networks: 4, seed: 1, threads: 1, weights: nil,
                              tolerance: 0.05, method: .reduced)
        }
        #expect(reduced.with(seed: 99).seed == 99 && reduced.with(seed: 99).networks == reduced.networks)
    }

    /// A fixed scheme's variances are computed once, when planned, as `WeightVariance.checked` gives them; a target
    /// rate is kept for the solver. At T = 1 a target rate of 0.5 or more is refused.
    @Test func theScalesOfEachCellAreComputedOnceWhenPlanned() throws {
        let plan = try SweepFixtures.plan(widths: [10], thetas: [1], inits: ["paper", "target-rate:0.2"])
        let architecture = try Architecture(inputSize: 10, width: 10, depth: 3)
        let neuron = try NeuronModel(threshold: 1, leak: 0.9, reset: .subtract)
        let expected = try WeightVariance.checked(.paper, architecture: architecture, neuron: neuron,
                                                  input: .bernoulli(rate: 0.2), targetVariance: 1)
        #expect(plan.scales == [.scheme(.paper, variances: expected), .targetRate(0.2)])
        #expect(try SweepPlan.targetRates(of: plan.cells, steps: 1) == [0.2])
        let high = SweepPlan.cells(widths: [10], thetas: [1], betas: [0.9], inits: ["target-rate:0.6"])
        #expect(throws: ModelError.self) { try SweepPlan.targetRates(of: high, steps: 1) }
        #expect(try SweepPlan.targetRates(of: high, steps: 2) == [0.6])
    }

    /// The widest cell's need, estimated from the sizes alone, is what the simulator computes for that cell's run.
    @Test func theMemoryEstimateNeedsNoConfigurationAndMatchesTheSimulators() throws {
        let settings = try SweepFixtures.settings(depth: 4, steps: 3, networks: 6, inputSize: 7)
        let plan = try SweepFixtures.plan(widths: [10, 300, 40], settings: settings)
        let network = try Network(architecture: Architecture(inputSize: 7, width: 300, depth: 4),
                                  neuron: NeuronModel(threshold: 1, leak: 0.9), steps: 3, input: .bernoulli(rate: 0.2),
                                  initialization: .variances([0.01, 0.01, 0.01, 0.01], name: "any"))
        let c = try SimulationConfiguration(network: network, batch: 1, networks: 6, seed: 1, threads: 1)
        #expect(plan.largestCellBytes == c.estimatedBytes)
        let reduced = try SweepFixtures.plan(widths: [10, 300, 40],
                                             settings: SweepFixtures.settings(depth: 4, steps: 3, networks: 6,
                                                                              method: .reduced))
        #expect(reduced.largestCellBytes == ReducedSampler.estimatedBytes(c))
    }
}
