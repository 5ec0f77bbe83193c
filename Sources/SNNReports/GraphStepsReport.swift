import Foundation
import SNNFormats
import SNNModel
import SNNTheory

/// `predict --nir --steps T`: every step of the user's own network, neuron by neuron (THEORY.md section 9.2): per
/// neuron layer and step the mean rate with its Monte Carlo standard error, E[u] and Var[u] before the reset.
public struct GraphStepsReport {
    public let file: String
    public let convention: String
    public let step: Double
    public let input: InputEncoding
    public let prediction: GraphStepsPrediction

    public init(file: String, convention: String, step: Double, input: InputEncoding, prediction: GraphStepsPrediction) {
        self.file = file
        self.convention = convention
        self.step = step
        self.input = input
        self.prediction = prediction
    }

    /// The first layer whose rate at the last step is below `GraphPredictReport.silentRate`, or where activity
    /// reaches.
    public var verdict: String {
        let spiking = prediction.layers.filter { $0.steps.first?.meanRate != nil }
        if let dead = spiking.firstIndex(where: { ($0.steps.last?.meanRate ?? 0) < GraphPredictReport.silentRate }) {
            return "activity dies: mean rate at t = \(prediction.steps) below \(Format.number(GraphPredictReport.silentRate)) "
                + "from neuron layer \(dead + 1) (node \(spiking[dead].name))"
        }
        guard let last = spiking.last, let rate = last.steps.last?.meanRate else { return "no spiking layer" }
        return "activity reaches the last spiking layer (node \(last.name)): mean rate \(Format.number(rate)) at t = "
            + "\(prediction.steps)"
    }

    var heading: String {
        "\(prediction.steps) steps, per neuron with the file's weights (THEORY.md section 9.2: Gaussian input sequences "
            + "with the covariance over time the layer below gives, or Bernoulli inputs drawn term by term; "
            + "\(prediction.samples) sequences per neuron)"
    }

    public func json() -> JSON {
        let layers: [JSON] = prediction.layers.enumerated().map { index, layer in
            .object([
                ("layer", .integer(index + 1)), ("node", .string(layer.name)), ("neurons", .integer(layer.neurons)),
                ("term_by_term", .integer(layer.termByTerm)),
                ("steps", .array(layer.steps.map { step in
                    .object([("t", .integer(step.t)), ("mean_rate", step.meanRate.map { .number($0) } ?? .null),
                             ("mean_rate_standard_error", step.meanRateError.map { .number($0) } ?? .null),
                             ("membrane_mean", .number(step.membraneMean)),
                             ("membrane_variance", .number(step.membraneVariance))])
                })),
            ])
        }
        return .object([
            ("model", .object([
                ("tool", .string("snn-theory")), ("version", .string(ToolVersion.current)), ("command", .string("predict")),
                ("nir", .string(file)), ("convention", .string(convention)), ("dt", .number(step)),
                ("input", .string(input.description)), ("steps", .integer(prediction.steps)),
                ("neuron_samples", .integer(prediction.samples)), ("theory", .string(heading)),
            ])),
            ("layers", .array(layers)), ("verdict", .string(verdict)),
        ])
    }

    public func csv() -> String {
        var lines = ["# snn-theory \(ToolVersion.current) predict --nir \(file): \(heading); convention \(convention), "
            + "dt \(Format.exact(step)), input \(input)",
                     "layer,node,t,mean_rate,mean_rate_se,membrane_mean,membrane_variance"]
        for (index, layer) in prediction.layers.enumerated() {
            for step in layer.steps {
                lines.append(["\(index + 1)", layer.name, "\(step.t)", step.meanRate.map(Format.exact) ?? "",
                              step.meanRateError.map(Format.exact) ?? "", Format.exact(step.membraneMean),
                              Format.exact(step.membraneVariance)].joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public func table() -> String {
        var out = ["snn-theory \(ToolVersion.current) predict --nir: \(file)",
                   heading + "; neurons as \(convention) discretizes them (--dt \(Format.number(step)) s, for exact "
                       + "and norse); input \(input)", ""]
        var rows: [[String]] = []
        for (index, layer) in prediction.layers.enumerated() {
            for step in layer.steps {
                rows.append([step.t == 1 ? "\(index + 1)" : "", step.t == 1 ? layer.name : "", "\(step.t)",
                             step.meanRate.map { Format.number($0) + " +- " + Format.number(step.meanRateError ?? 0, digits: 2) } ?? "-",
                             Format.number(step.membraneMean), Format.number(step.membraneVariance)])
            }
        }
        out.append(Format.table(header: ["layer", "node", "t", "mean rate", "E[u]", "Var[u]"], rows: rows))
        out.append("(+-: the Monte Carlo standard error of the layer's mean rate; E[u], Var[u] before the reset)")
        let drawn = prediction.layers.enumerated().filter { $0.element.termByTerm > 0 }
        if !drawn.isEmpty {
            out.append("inputs drawn term by term (no Gaussian sum): " + drawn.map { "layer \($0.offset + 1) "
                + "(\($0.element.termByTerm) neurons)" }.joined(separator: ", "))
        }
        out.append("")
        out.append(verdict)
        return out.joined(separator: "\n")
    }
}
