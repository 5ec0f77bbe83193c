import Foundation
import SNNFormats
import SNNModel
import SNNTheory

/// `predict --nir`: the first step of the user's own network, neuron by neuron, beside the i.i.d. mean field of its
/// weight variances; the verdict names the first layer where activity dies, and each layer says where the
/// prediction's assumptions are visibly broken.
public struct GraphPredictReport {
    public let file: String
    public let convention: String
    public let step: Double
    public let input: InputEncoding
    public let prediction: GraphPrediction

    public init(file: String, convention: String, step: Double, input: InputEncoding, prediction: GraphPrediction) {
        self.file = file
        self.convention = convention
        self.step = step
        self.input = input
        self.prediction = prediction
    }

    /// Below this mean rate a layer counts as silent.
    public static let silentRate = 1e-6

    /// The assumptions a layer visibly breaks, in words.
    public static func warnings(_ layer: GraphPrediction.Layer) -> [String] {
        var warnings: [String] = []
        if let fanIn = layer.fanIn, fanIn < 30 { warnings.append("fan-in \(fanIn) < 30: the Gaussian sum is doubtful") }
        if layer.dominatedFraction > 0.05 {
            warnings.append("\(Format.number(100 * layer.dominatedFraction, digits: 3))% of neurons have one input "
                + "carrying > 10% of their variance")
        }
        return warnings
    }

    public var verdict: String {
        let spiking = prediction.layers.filter { $0.rates != nil }
        if let dead = spiking.first(where: { ($0.meanRate ?? 0) < Self.silentRate }) {
            let position = spiking.firstIndex { $0.node == dead.node }! + 1
            return "activity dies: mean rate below \(Format.number(Self.silentRate)) from neuron layer \(position) "
                + "(node \(dead.name), Var[u] = \(Format.number(dead.membraneVariance)))"
        }
        guard let last = spiking.last, let rate = last.meanRate else { return "no spiking layer" }
        return "activity reaches the last spiking layer (node \(last.name)): mean rate \(Format.number(rate)), "
            + "\(Format.number(100 * (last.silentFraction ?? 0), digits: 3))% of its neurons silent"
    }

    var modelJSON: JSON {
        .object([
            ("tool", .string("snn-theory")), ("version", .string(ToolVersion.current)), ("command", .string("predict")),
            ("nir", .string(file)), ("convention", .string(convention)), ("dt", .number(step)),
            ("input", .string(input.description)), ("steps", .integer(1)),
            ("theory", .string("first time step, per neuron, with the file's weights (THEORY.md section 9)")),
        ])
    }

    public func json() -> JSON {
        let layers: [JSON] = prediction.layers.enumerated().map { index, layer in
            var pairs: [(String, JSON)] = [
                ("layer", .integer(index + 1)), ("node", .string(layer.name)),
                ("neurons", .integer(layer.membraneMeans.count)), ("fan_in", layer.fanIn.map { .integer($0) } ?? .null),
                ("membrane_variance", .number(layer.membraneVariance)),
                ("mean_field_membrane_variance", .number(layer.meanFieldVariance)),
                ("mean_field_rate", layer.meanFieldRate.map { .number($0) } ?? .null),
            ]
            if layer.rates != nil {
                pairs += [
                    ("mean_rate", .number(layer.meanRate ?? 0)),
                    ("rate_quantiles", .object([("q05", .number(layer.rateQuantile(0.05) ?? 0)),
                                                ("q50", .number(layer.rateQuantile(0.5) ?? 0)),
                                                ("q95", .number(layer.rateQuantile(0.95) ?? 0))])),
                    ("silent_fraction", .number(layer.silentFraction ?? 0)),
                ]
            }
            pairs.append(("warnings", .array(Self.warnings(layer).map { .string($0) })))
            return .object(pairs)
        }
        return .object([("model", modelJSON), ("layers", .array(layers)), ("verdict", .string(verdict))])
    }

    public func csv() -> String {
        var lines = ["# snn-theory \(ToolVersion.current) predict --nir \(file): first step, per neuron; convention "
            + "\(convention), dt \(Format.exact(step)), input \(input)",
                     "layer,node,neurons,fan_in,mean_rate,rate_q05,rate_q50,rate_q95,silent_fraction,membrane_variance,"
                         + "mean_field_membrane_variance,mean_field_rate"]
        let number = { (value: Double?) -> String in value.map(Format.exact) ?? "" }
        for (index, layer) in prediction.layers.enumerated() {
            let cells: [String] = [
                "\(index + 1)", layer.name, "\(layer.membraneMeans.count)", layer.fanIn.map(String.init) ?? "",
                number(layer.meanRate), number(layer.rateQuantile(0.05)), number(layer.rateQuantile(0.5)),
                number(layer.rateQuantile(0.95)), number(layer.silentFraction), Format.exact(layer.membraneVariance),
                Format.exact(layer.meanFieldVariance), number(layer.meanFieldRate),
            ]
            lines.append(cells.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public func table() -> String {
        var out = [
            "snn-theory \(ToolVersion.current) predict --nir: \(file)",
            "first time step, per neuron with the file's weights (THEORY.md section 9); neurons as \(convention) "
                + "discretizes them (--dt \(Format.number(step)) s, for exact and norse); input \(input)",
            "",
        ]
        let number = { (value: Double?) -> String in value.map { Format.number($0) } ?? "-" }
        out.append(Format.table(
            header: ["layer", "node", "neurons", "fan-in", "mean rate", "q05", "q50", "q95", "silent", "Var[u]",
                     "iid Var[u]", "iid rate"],
            rows: prediction.layers.enumerated().map { index, layer in
                let cells: [String] = [
                    "\(index + 1)", layer.name, "\(layer.membraneMeans.count)", layer.fanIn.map(String.init) ?? "-",
                    number(layer.meanRate), number(layer.rateQuantile(0.05)), number(layer.rateQuantile(0.5)),
                    number(layer.rateQuantile(0.95)), number(layer.silentFraction), number(layer.membraneVariance),
                    number(layer.meanFieldVariance), number(layer.meanFieldRate),
                ]
                return cells
            }))
        out.append("(iid: the paper's mean field from each layer's weight variance alone, zero-mean currents; the "
            + "columns before it use every weight and bias)")
        let warned = prediction.layers.enumerated().flatMap { index, layer in
            Self.warnings(layer).map { "layer \(index + 1) (\(layer.name)): \($0)" }
        }
        if !warned.isEmpty {
            out.append("")
            out += warned
        }
        out.append("")
        out.append(verdict)
        return out.joined(separator: "\n")
    }
}
