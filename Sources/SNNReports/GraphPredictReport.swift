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

    /// The tails used, in words: "4096 exact", "12 saddle point, 500 Gaussian".
    public static func tails(_ layer: GraphPrediction.Layer) -> String {
        let parts = BernoulliSum.Method.allCases.compactMap { method in
            layer.tailMethods[method].map { "\($0) \(method == .saddlePoint ? "saddle point" : method.rawValue)" }
        }
        return parts.isEmpty ? "-" : parts.joined(separator: ", ")
    }

    /// The assumptions a layer visibly breaks, in words. Where every neuron's law came from its spike inputs (exact or
    /// saddle point, section 9.1), a small fan-in or a dominant input no longer makes the first step doubtful.
    public static func warnings(_ layer: GraphPrediction.Layer) -> [String] {
        var warnings: [String] = []
        let gaussian = layer.tailMethods[.gaussian] ?? 0
        let notGaussian = layer.tailMethods.values.reduce(0, +) - gaussian
        if notGaussian > 0, let fanIn = layer.fanIn, fanIn < 30 || layer.dominatedFraction > 0.05 {
            warnings.append("fan-in \(fanIn): the sum's own law used for \(notGaussian) neurons (\(tails(layer)); "
                + "section 9.1), not the Gaussian (A2)")
        }
        guard gaussian > 0 || layer.rates == nil else { return warnings }
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
                    ("tails", .object(BernoulliSum.Method.allCases.map { method in
                        (method.rawValue, .integer(layer.tailMethods[method] ?? 0))
                    })),
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
                         + "mean_field_membrane_variance,mean_field_rate,tails_exact,tails_saddle_point,tails_gaussian"]
        let number = { (value: Double?) -> String in value.map(Format.exact) ?? "" }
        for (index, layer) in prediction.layers.enumerated() {
            let cells: [String] = [
                "\(index + 1)", layer.name, "\(layer.membraneMeans.count)", layer.fanIn.map(String.init) ?? "",
                number(layer.meanRate), number(layer.rateQuantile(0.05)), number(layer.rateQuantile(0.5)),
                number(layer.rateQuantile(0.95)), number(layer.silentFraction), Format.exact(layer.membraneVariance),
                Format.exact(layer.meanFieldVariance), number(layer.meanFieldRate),
            ] + BernoulliSum.Method.allCases.map { layer.rates == nil ? "" : "\(layer.tailMethods[$0] ?? 0)" }
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
                     "iid Var[u]", "iid rate", "tails"],
            rows: prediction.layers.enumerated().map { index, layer in
                let cells: [String] = [
                    "\(index + 1)", layer.name, "\(layer.membraneMeans.count)", layer.fanIn.map(String.init) ?? "-",
                    number(layer.meanRate), number(layer.rateQuantile(0.05)), number(layer.rateQuantile(0.5)),
                    number(layer.rateQuantile(0.95)), number(layer.silentFraction), number(layer.membraneVariance),
                    number(layer.meanFieldVariance), number(layer.meanFieldRate), Self.tails(layer),
                ]
                return cells
            }))
        out.append("(iid: the paper's mean field from each layer's weight variance alone, zero-mean currents; the "
            + "columns before it use every weight and bias; tails: how many neurons' spike probabilities came from the "
            + "exact law of their spike inputs, its saddle point, or the Gaussian, section 9.1)")
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
