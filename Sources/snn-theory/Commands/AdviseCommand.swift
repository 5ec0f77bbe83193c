import ArgumentParser
import SNNFormats
import SNNModel
import SNNReports
import SNNTheory

struct AdviseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "advise",
        abstract: "The target variance (weight scale) that keeps activity alive and stable to a depth, at a width.",
        discussion: """
        For the paper's initialization at a threshold: the smallest target variance sigma_t^2 whose fixed point is \
        stable (chi < 1, i.e. theta / sigma_t < 1.19060) and whose exact finite-width chain leaves at most \
        --tolerance of the networks silent at layer --depth, first time step (THEORY.md sections 3 and 5). The \
        recommendation keeps P(silent) under tolerance / --margin, rounded up to two significant figures, so that a \
        simulation of a few hundred networks does not land on the boundary; when no target variance up to \
        (theta / 0.1)^2 (mean-field rate 0.46) qualifies at that width, it says so with the numbers. With \
        --target-rate r it also checks the scale that holds rate r at the first step.

        With --steps T > 1 it adds, for the paper's default and the recommendation, the slope of the multi-step \
        kernel map K_{l-1} -> K_l at layer --depth: the growth per layer of the most unstable small deviation of \
        the T x T kernel, a numerical estimate with its error (central differences of size 5% and 10% of the \
        kernel, power iteration over 12 steps, common random numbers within each quasi-Monte Carlo replicate; \
        quadrature for T <= 2). At T = 1 it is chi. At an unstable fixed point it is measured at the first layer \
        that rounding has moved the recursion off it (a few dozen layers), not at a state rounding drove it to.

        Examples:
          snn-theory advise --theta 2 --depth 100 --width 1000
          snn-theory advise --theta 1.5 --target-rate 0.1 --format json
          snn-theory advise --theta 1 --steps 4 --beta 0.9
        """
    )

    @Option(help: "Firing threshold theta, in [1e-6, 1e6].")
    var theta: Double = 1

    @Option(help: "Depth L at which the silent probability is judged (2 to 10000).")
    var depth: Int = 100

    @Option(name: .customLong("target-rate"), help: "Also check the scale holding this first-step rate, in (0, 0.5).")
    var targetRate: Double?

    @Option(help: "Largest acceptable probability of a silent layer L, in (0, 1).")
    var tolerance: Double = 0.01

    @Option(help: "The recommendation keeps P(silent) under tolerance / margin (>= 1).")
    var margin: Double = 10

    @OptionGroup var network: StabilityOptions

    @Option(help: "Output: table or json.")
    var format: OutputFormat = .table

    func validate() throws {
        _ = try network.diagram(depth: depth, tolerance: tolerance)
        let neuron = try network.neuron(threshold: theta)
        // The paper's default (target variance 1), which the advice is set against, needs finite scales.
        _ = try WeightVariance.checked(.paper, architecture: Architecture(inputSize: network.width, width: network.width,
                                                                          depth: 2),
                                       neuron: neuron, input: network.input)
        guard margin.isFinite, margin >= 1 else {
            throw ModelError.invalid(parameter: "margin", value: "\(margin)", allowed: "a finite number >= 1")
        }
        if let targetRate, !(targetRate > 0 && targetRate < 0.5) {
            throw ModelError.invalid(parameter: "target-rate", value: "\(targetRate)", allowed: "a number in (0, 0.5)")
        }
        try network.validate(layerEvaluations: 5 * 3 * depth)  // up to 5 checks, 3 passes each
        if format == .csv {
            throw ModelError.invalid(parameter: "format", value: "csv", allowed: "table or json")
        }
    }

    func run() throws {
        let steps = network.steps
        let advice = try StabilityAdvisor.advise(theta: theta, depth: depth, width: network.width,
                                                 input: network.input, targetRate: targetRate,
                                                 tolerance: tolerance, margin: margin,
                                                 negligibleProbability: network.negligibleProbability)
        let slopes = steps > 1
            ? try AdviceReport.slopes(advice, diagram: network.diagram(depth: depth, tolerance: tolerance), theta: theta,
                                      neuron: network.neuron(threshold: theta), steps: steps,
                                      settings: network.temporal.settings(steps: steps, layerEvaluations: 5 * 3 * depth))
            : []
        let report = AdviceReport(advice: advice, slopes: slopes, steps: steps, beta: network.beta,
                                  reset: network.reset, negligibleProbability: network.negligibleProbability,
                                  settings: try network.reportedSettings())
        switch format {
        case .json: print(report.json().rendered())
        case .table, .csv: print(report.table())
        }
    }
}
