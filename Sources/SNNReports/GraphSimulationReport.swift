import Foundation
import SNNFormats
import SNNModel
import SNNSimulator
import SNNTheory
import SVGPlot

/// `simulate --nir` and `compare --nir`: the user's graph run as read, per neuron layer and step, with standard errors
/// over input samples (the weights are the file's, so samples are the only randomness); with a prediction, the
/// first step's predicted mean rate and Var[u] beside the simulated ones, their deviation in standard errors and a
/// verdict per layer.
public struct GraphSimulationReport {
    public let file: String
    public let convention: String
    public let step: Double
    public let input: String
    public let statistics: GraphStatistics
    /// For `compare --nir`: the first-step prediction of the same graph and input.
    public let prediction: GraphPrediction?
    /// For `compare --nir --steps T`: every step predicted (section 9.2).
    public let stepsPrediction: GraphStepsPrediction?

    public init(file: String, convention: String, step: Double, input: String, statistics: GraphStatistics,
                prediction: GraphPrediction?, stepsPrediction: GraphStepsPrediction? = nil) {
        self.stepsPrediction = stepsPrediction
        self.file = file
        self.convention = convention
        self.step = step
        self.input = input
        self.statistics = statistics
        self.prediction = prediction
    }

    /// A predicted mean rate holds within this many standard errors; it is close within `absoluteTolerance` when that
    /// is also within `relativeTolerance` of the simulated rate.
    public static let standardErrors = 4.0
    public static let absoluteTolerance = 0.01
    public static let relativeTolerance = 0.1

    /// One layer's first-step comparison.
    public struct Comparison {
        public let predicted: Double
        public let simulated: Estimate
        /// (predicted - simulated) / standard error; nil without a standard error.
        public let deviation: Double?
        /// Within `standardErrors`.
        public let holds: Bool
        /// Holds, or within the absolute and relative tolerances.
        public let agrees: Bool

        public var verdict: String { holds ? "holds" : agrees ? "close" : "misses" }
    }

    public func comparison(_ layer: GraphLayerStatistics) -> Comparison? {
        guard let predicted = prediction?.layers.first(where: { $0.node == layer.node })?.meanRate,
              let simulated = layer.steps.first?.rate else { return nil }
        let difference = predicted - simulated.mean
        let deviation = simulated.standardError.flatMap { $0 > 0 ? difference / $0 : nil }
        let holds = deviation.map { abs($0) <= Self.standardErrors } ?? (difference == 0)
        let close = abs(difference) <= Self.absoluteTolerance
            && abs(difference) <= Self.relativeTolerance * max(simulated.mean, predicted)
        return Comparison(predicted: predicted, simulated: simulated, deviation: deviation, holds: holds,
                          agrees: holds || close)
    }

    /// One layer and step of the multi-step comparison: predicted and simulated mean rate, the deviation in the
    /// combined standard error sqrt(se_simulation^2 + se_Monte Carlo^2).
    public struct StepComparison {
        public let t: Int
        public let predicted: Double
        public let predictedError: Double
        public let simulated: Estimate
        public let predictedMembraneVariance: Double
        public let deviation: Double?
    }

    public func stepComparisons(_ layer: GraphLayerStatistics) -> [StepComparison] {
        guard let predicted = stepsPrediction?.layers.first(where: { $0.node == layer.node }) else { return [] }
        return zip(predicted.steps, layer.steps).compactMap { p, s in
            guard let rate = p.meanRate, let simulated = s.rate else { return nil }
            let error = ((simulated.standardError ?? 0) * (simulated.standardError ?? 0)
                + (p.meanRateError ?? 0) * (p.meanRateError ?? 0)).squareRoot()
            return StepComparison(t: p.t, predicted: rate, predictedError: p.meanRateError ?? 0, simulated: simulated,
                                  predictedMembraneVariance: p.membraneVariance,
                                  deviation: error > 0 ? (rate - simulated.mean) / error : nil)
        }
    }

    /// The steps block of the table: per layer and step, simulated and predicted rate and Var[u], the deviation.
    func stepsTable() -> String {
        var rows: [[String]] = []
        for (index, layer) in statistics.layers.enumerated() {
            for (c, step) in zip(stepComparisons(layer), layer.steps) {
                rows.append([c.t == 1 ? "\(index + 1)" : "", c.t == 1 ? layer.name : "", "\(c.t)",
                             Self.text(c.simulated), Format.number(c.predicted) + " +- " + Format.number(c.predictedError, digits: 2),
                             c.deviation.map { Format.number($0, digits: 3) } ?? "-",
                             Self.text(step.membraneVariance), Format.number(c.predictedMembraneVariance)])
            }
        }
        return Format.table(header: ["layer", "node", "t", "simulated rate", "predicted rate", "deviation (se)",
                                     "simulated Var[u]", "predicted Var[u]"], rows: rows)
    }

    public var verdict: String {
        let spiking = statistics.layers.filter(\.spiking)
        if prediction != nil {
            let compared = spiking.enumerated().compactMap { index, layer in comparison(layer).map { (index, layer, $0) } }
            let missing = compared.filter { !$0.2.agrees }, close = compared.filter { $0.2.agrees && !$0.2.holds }
            if missing.isEmpty && close.isEmpty {
                return "the prediction holds at every layer (first step, within \(Format.number(Self.standardErrors)) "
                    + "standard errors)"
            }
            var parts: [String] = []
            if !close.isEmpty {
                parts.append("close (within \(Format.number(Self.absoluteTolerance)) and "
                    + "\(Format.number(100 * Self.relativeTolerance))%) at layers "
                    + close.map { "\($0.0 + 1)" }.joined(separator: ", "))
            }
            if !missing.isEmpty {
                parts.append("misses at " + missing.map { index, layer, comparison in
                    "layer \(index + 1) (\(layer.name), \(comparison.deviation.map { Format.number($0, digits: 3) } ?? "-") "
                        + "standard errors: \(reasons(index: index, node: layer.node).joined(separator: "; ")))"
                }.joined(separator: ", "))
            }
            return "the prediction " + parts.map { $0.hasPrefix("close") ? "is " + $0 : $0 }.joined(separator: "; it ")
        }
        if let dead = spiking.firstIndex(where: { ($0.meanRate?.mean ?? 0) < GraphPredictReport.silentRate }) {
            return "activity dies: mean rate below \(Format.number(GraphPredictReport.silentRate)) from neuron layer "
                + "\(dead + 1) (node \(spiking[dead].name))"
        }
        guard let last = spiking.last, let rate = last.meanRate else { return "no spiking layer" }
        return "activity reaches the last spiking layer (node \(last.name)): mean rate \(Format.number(rate.mean)) "
            + "+- \(Format.number(rate.standardError ?? 0))"
    }

    /// The assumptions of THEORY.md section 9 a layer can break: A2 (a Gaussian sum) where the prediction flagged it,
    /// A1 (independent inputs) past the first neuron layer, whose neurons share the inputs of the layer below; where
    /// the prediction carried pair covariances (section 9.4), what is left: higher-order dependence and the Gaussian.
    func reasons(index: Int, node: Int) -> [String] {
        var reasons = prediction?.layers.first { $0.node == node }.map(GraphPredictReport.warnings) ?? []
        let gaussian = prediction?.layers.first { $0.node == node }.map { $0.tailMethods[.gaussian] ?? 0 } ?? 1
        let pairs = prediction?.layers.first { $0.node == node }?.correlatedPairs ?? 0
        if index > 0 && pairs > 0 {
            reasons.append("its inputs are correlated beyond their pairs, or the pairs' Gaussian law is off (section 9.4)")
        } else if index > 0 {
            reasons.append("its inputs are correlated (neurons below share inputs; A1)")
        } else if gaussian > 0 {
            if reasons.isEmpty { reasons.append("the input current is not Gaussian (A2)") }
        } else {
            reasons.append("no assumption is left here (independent spike inputs, the sum's exact law): sampling, or "
                + "the neurons as the simulation discretizes them")
        }
        return reasons
    }

    static func estimate(_ value: Estimate?) -> JSON {
        guard let value else { return .null }
        return .object([("mean", .number(value.mean)), ("standard_error", value.standardError.map { .number($0) } ?? .null)])
    }

    static func text(_ value: Estimate?) -> String {
        guard let value else { return "-" }
        return Format.number(value.mean) + (value.standardError.map { " +- " + Format.number($0, digits: 2) } ?? "")
    }

    public func json() -> JSON {
        let layers: [JSON] = statistics.layers.enumerated().map { index, layer in
            var pairs: [(String, JSON)] = [
                ("layer", .integer(index + 1)), ("node", .string(layer.name)), ("neurons", .integer(layer.neurons)),
                ("mean_rate", Self.estimate(layer.meanRate)),
                ("steps", .array(layer.steps.map { step in
                    .object([("t", .integer(step.step)), ("rate", Self.estimate(step.rate)),
                             ("membrane_mean", Self.estimate(step.membraneMean)),
                             ("membrane_variance", Self.estimate(step.membraneVariance)),
                             ("silent_fraction", step.silentFraction.map { .number($0) } ?? .null)])
                })),
            ]
            if let comparison = comparison(layer) {
                pairs.append(("first_step", .object([
                    ("predicted_rate", .number(comparison.predicted)), ("simulated_rate", Self.estimate(comparison.simulated)),
                    ("deviation_standard_errors", comparison.deviation.map { .number($0) } ?? .null),
                    ("verdict", .string(comparison.verdict)),
                    ("predicted_membrane_variance",
                     prediction?.layers.first { $0.node == layer.node }.map { .number($0.membraneVariance) } ?? .null),
                ])))
            }
            let steps = stepComparisons(layer)
            if !steps.isEmpty {
                pairs.append(("predicted_steps", .array(steps.map { c in
                    .object([("t", .integer(c.t)), ("predicted_rate", .number(c.predicted)),
                             ("predicted_rate_standard_error", .number(c.predictedError)),
                             ("predicted_membrane_variance", .number(c.predictedMembraneVariance)),
                             ("deviation_standard_errors", c.deviation.map { .number($0) } ?? .null)])
                })))
            }
            return .object(pairs)
        }
        return .object([
            ("model", .object([
                ("tool", .string("snn-theory")), ("version", .string(ToolVersion.current)),
                ("command", .string(prediction == nil ? "simulate" : "compare")), ("nir", .string(file)),
                ("convention", .string(convention)), ("dt", .number(step)), ("input", .string(input)),
                ("steps", .integer(statistics.steps)), ("batch", .integer(statistics.batch)),
                ("seed", .string("\(statistics.seed)")), ("variance_groups", .integer(statistics.varianceGroups)),
            ])),
            ("layers", .array(layers)), ("verdict", .string(verdict)),
        ])
    }

    public func csv() -> String {
        var lines = ["# snn-theory \(ToolVersion.current) \(prediction == nil ? "simulate" : "compare") --nir \(file): "
            + "convention \(convention), dt \(Format.exact(step)), input \(input), T \(statistics.steps), "
            + "batch \(statistics.batch), seed \(statistics.seed)",
                     "layer,node,t,rate,rate_se,membrane_mean,membrane_mean_se,membrane_variance,membrane_variance_se,"
                         + "silent_fraction,predicted_rate,predicted_rate_se,predicted_membrane_variance,deviation_se"]
        let number = { (value: Double?) -> String in value.map(Format.exact) ?? "" }
        for (index, layer) in statistics.layers.enumerated() {
            let steps = stepComparisons(layer)
            for step in layer.steps {
                let multi = steps.first { $0.t == step.step }
                let predicted = multi?.predicted ?? (step.step == 1 ? comparison(layer)?.predicted : nil)
                let cells: [String] = [
                    "\(index + 1)", layer.name, "\(step.step)", number(step.rate?.mean), number(step.rate?.standardError),
                    number(step.membraneMean.mean), number(step.membraneMean.standardError),
                    number(step.membraneVariance.mean), number(step.membraneVariance.standardError),
                    number(step.silentFraction), number(predicted), number(multi?.predictedError),
                    number(multi?.predictedMembraneVariance), number(multi?.deviation),
                ]
                lines.append(cells.joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public func table() -> String {
        var out = [
            "snn-theory \(ToolVersion.current) \(prediction == nil ? "simulate" : "compare") --nir: \(file)",
            "neurons as \(convention) discretizes them (--dt \(Format.number(step)) s, for exact and norse); input \(input); T "
                + "\(statistics.steps), batch \(statistics.batch) (standard errors over input samples), seed \(statistics.seed)",
            "",
        ]
        var header = ["layer", "node", "neurons", "rate t=1", "Var[u] t=1", "silent t=1", "rate (all t)"]
        if prediction != nil { header += ["predicted t=1", "deviation (se)", "verdict"] }
        out.append(Format.table(header: header, rows: statistics.layers.enumerated().map { index, layer in
            let first = layer.steps.first
            var cells: [String] = [
                "\(index + 1)", layer.name, "\(layer.neurons)", Self.text(first?.rate), Self.text(first?.membraneVariance),
                first?.silentFraction.map { Format.number($0) } ?? "-", Self.text(layer.meanRate),
            ]
            if prediction != nil {
                let comparison = comparison(layer)
                cells += [comparison.map { Format.number($0.predicted) } ?? "-",
                          comparison?.deviation.map { Format.number($0, digits: 3) } ?? "-",
                          comparison?.verdict ?? "-"]
            }
            return cells
        }))
        if stepsPrediction != nil {
            out.append("")
            out.append("every step, predicted per neuron (THEORY.md section 9.2; +-: Monte Carlo standard error; deviation "
                + "over the combined standard error):")
            out.append(stepsTable())
        }
        out.append("")
        out.append(verdict)
        return out.joined(separator: "\n")
    }
}

extension GraphSimulationReport {
    /// Rate and Var[u] by neuron layer at the first step: the simulation as points with two-standard-error bars,
    /// the per-neuron prediction and the i.i.d. mean field as lines (with a prediction).
    public func figure() -> any SVGFigure {
        let spiking = statistics.layers.filter(\.spiking)
        let x = spiking.indices.map { Double($0 + 1) }
        let first = spiking.map { $0.steps.first }
        let predicted = spiking.map { layer in prediction?.layers.first { $0.node == layer.node } }
        var rates = [PlotSeries(name: "simulation, t = 1", x: x, y: first.map { $0?.rate?.mean ?? .nan },
                                yError: first.map { 2 * ($0?.rate?.standardError ?? 0) }, style: .markers, colorIndex: 0)]
        var variances = [PlotSeries(name: "simulation, t = 1", x: x, y: first.map { $0?.membraneVariance.mean ?? .nan },
                                    yError: first.map { 2 * ($0?.membraneVariance.standardError ?? 0) }, style: .markers,
                                    colorIndex: 0)]
        if prediction != nil {
            rates.append(PlotSeries(name: "prediction, per neuron", x: x, y: predicted.map { $0?.meanRate ?? .nan },
                                    colorIndex: 0))
            rates.append(PlotSeries(name: "iid mean field", x: x, y: predicted.map { $0?.meanFieldRate ?? .nan },
                                    colorIndex: 1))
            variances.append(PlotSeries(name: "prediction, per neuron", x: x,
                                        y: predicted.map { $0?.membraneVariance ?? .nan }, colorIndex: 0))
            variances.append(PlotSeries(name: "iid mean field", x: x, y: predicted.map { $0?.meanFieldVariance ?? .nan },
                                        colorIndex: 1))
        }
        var panels: [any SVGFigure] = [
            LinePlot(title: "Spike rate at t = 1", xLabel: "neuron layer", yLabel: "spikes per neuron per step",
                     legend: .right, series: rates),
            LinePlot(title: "Membrane variance at t = 1", xLabel: "neuron layer", yLabel: "Var[u]",
                     legend: .hidden, series: variances),
        ]
        if stepsPrediction != nil {
            // Every step: per layer, the simulation as points with bars and the prediction (section 9.2) as a line.
            var series: [PlotSeries] = []
            for (index, layer) in spiking.enumerated() {
                let steps = stepComparisons(layer)
                guard !steps.isEmpty else { continue }
                let t = steps.map { Double($0.t) }
                series.append(PlotSeries(name: "layer \(index + 1), simulation", x: t, y: steps.map(\.simulated.mean),
                                         yError: steps.map { 2 * ($0.simulated.standardError ?? 0) }, style: .markers,
                                         colorIndex: index))
                series.append(PlotSeries(name: "layer \(index + 1), prediction", x: t, y: steps.map(\.predicted),
                                         colorIndex: index))
            }
            panels.append(LinePlot(title: "Spike rate by step (points: simulation; lines: prediction, section 9.2)",
                                   xLabel: "step t", yLabel: "spikes per neuron per step", legend: .right,
                                   series: series))
        }
        let name = (file as NSString).lastPathComponent
        return SmallMultiples(
            title: "snn-theory \(prediction == nil ? "simulate" : "compare") --nir \(name): \(convention), "
                + "\(statistics.batch) inputs (bars: 2 s.e.)", columns: panels.count > 2 ? 2 : nil,
            panels: panels)
    }
}
