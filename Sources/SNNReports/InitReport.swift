import SNNModel
import SNNFormats

/// `init`'s result: per layer and initialization the fan-in, width and weight scale, and the .npy files written.
public struct InitReport {
    public let plan: InitPlan
    /// `--widths` as given, echoed in the output.
    public let widthsSpec: String
    public let npyDirectory: String?
    /// The .npy file names per initialization, in layer order (empty without `--npy`).
    public let files: [String: [String]]

    /// With `init --surrogate`: per initialization's name, the surrogate whose scale holds the first step's gradient
    /// (Var[delta_1] = Var[delta_L] at these weights, THEORY.md section 10), nil where no scale in 1e-3...1e3 does.
    public var surrogates: [String: Surrogate?] = [:]

    public init(plan: InitPlan, widthsSpec: String, npyDirectory: String?, files: [String: [String]]) {
        self.plan = plan
        self.widthsSpec = widthsSpec
        self.npyDirectory = npyDirectory
        self.files = files
    }

    static let layout = "iid, mean 0; npy: float32, C order, shape (out, in) = torch.nn.Linear.weight, "
        + "(out, in, KH, KW) = torch.nn.Conv2d.weight"

    var modelJSON: JSON {
        var fields: [(String, JSON)] = [
            ("tool", .string("snn-theory")),
            ("version", .string(ToolVersion.current)),
            ("command", .string("init")),
            ("widths", .string(widthsSpec)),
            ("depth", .integer(plan.layers.count)),
            ("theta", .number(plan.neuron.threshold)),
            ("beta", .number(plan.neuron.leak)),
            ("reset", .string(plan.neuron.reset.rawValue)),
            ("input", .string(plan.input.description)),
            ("init", .string(plan.scales.map(\.name).joined(separator: ","))),
            ("target_variance", .number(plan.targetVariance)),
            ("seed", .integer(Int(truncatingIfNeeded: plan.seed))),
            ("conventions", .string(plan.neuron.conventions)),
            ("weights", .string(Self.layout)),
        ]
        if let npyDirectory { fields.append(("npy_dir", .string(npyDirectory))) }
        return .object(fields)
    }

    func layerJSON(_ s: SchemeScales, _ i: Int) -> JSON {
        let layer = plan.layers[i], variance = s.variances[i]
        var fields: [(String, JSON)] = [
            ("layer", .integer(i + 1)),
            ("kind", .string(layer.kind == .linear ? "linear" : "conv2d")),
            ("fan_in", .integer(layer.fanIn)),
            ("fan_out", .integer(layer.fanOut)),
            ("width", .integer(layer.outputs)),
        ]
        if case let .conv2d(h, w) = layer.kind { fields.append(("kernel", .array([.integer(h), .integer(w)]))) }
        fields += [
            ("weight_shape", .array(layer.weightShape.map { .integer($0) })),
            ("weight_variance", .number(variance)),
            ("weight_std", .number(variance.squareRoot())),
            ("distribution", .string(s.distribution.rawValue)),
        ]
        if s.distribution == .uniform { fields.append(("uniform_bound", .number((3 * variance).squareRoot()))) }
        if let name = files[s.name]?[i] { fields.append(("npy", .string(name))) }
        return .object(fields)
    }

    /// Like `predict`: one initialization puts `layers` at the top, several go under `initializations`.
    public func json() -> JSON {
        func layers(_ s: SchemeScales) -> JSON { .array(plan.layers.indices.map { layerJSON(s, $0) }) }
        func surrogate(_ s: SchemeScales) -> [(String, JSON)] {
            guard let solved = surrogates[s.name] else { return [] }
            guard let h = solved else { return [("surrogate", .null), ("surrogate_scale", .null)] }
            return [("surrogate", .string(h.description)), ("surrogate_scale", .number(h.scale))]
        }
        if plan.scales.count == 1, let only = plan.scales.first {
            return .object([("model", modelJSON)] + surrogate(only) + [("layers", layers(only))])
        }
        return .object([
            ("model", modelJSON),
            ("initializations", .array(plan.scales.map { s in
                .object([("init", .string(s.name)), ("distribution", .string(s.distribution.rawValue))] + surrogate(s)
                    + [("layers", layers(s))])
            })),
        ])
    }

    var provenance: [String] {
        [
            "snn-theory \(ToolVersion.current) init: weight scales per layer (standard deviations; Var[w] in csv and json)",
            "network: \(widthsSpec) (\(plan.layers.count) layers); input \(plan.input)",
            "neuron: theta \(Format.number(plan.neuron.threshold)), beta \(Format.number(plan.neuron.leak)), "
                + "reset \(plan.neuron.reset.rawValue); \(plan.neuron.conventions)",
            "init: \(plan.scales.map(\.name).joined(separator: ",")) (paper target variance "
                + "\(Format.number(plan.targetVariance))); seed \(plan.seed)",
            "weights: \(Self.layout)",
        ]
    }

    func kernelText(_ layer: LayerShape) -> String {
        if case let .conv2d(h, w) = layer.kind { return "\(h)x\(w)" }
        return ""
    }

    public func csv() -> String {
        var lines = provenance.map { "# " + $0 }
        lines.append("init,layer,kind,fan_in,fan_out,width,kernel,weight_shape,weight_variance,weight_std,distribution,"
            + "uniform_bound,npy")
        for s in plan.scales {
            for (i, layer) in plan.layers.enumerated() {
                let v = s.variances[i]
                lines.append([
                    Format.csvField(s.name), "\(i + 1)", layer.kind == .linear ? "linear" : "conv2d", "\(layer.fanIn)",
                    "\(layer.fanOut)", "\(layer.outputs)", kernelText(layer),
                    layer.weightShape.map(String.init).joined(separator: "x"), Format.exact(v),
                    Format.exact(v.squareRoot()), s.distribution.rawValue,
                    s.distribution == .uniform ? Format.exact((3 * v).squareRoot()) : "", files[s.name]?[i] ?? "",
                ].joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The weight standard deviation per layer and initialization; Var[w] is its square.
    public func table() -> String {
        let header = ["layer", "kind", "fan_in", "width"] + plan.scales.map { "std \($0.name)" }
        let rows = plan.layers.enumerated().map { i, layer in
            ["\(i + 1)", layer.kind == .linear ? "linear" : "conv \(kernelText(layer))", "\(layer.fanIn)",
             "\(layer.outputs)"] + plan.scales.map { Format.number($0.variances[i].squareRoot()) }
        }
        var out = provenance
        out.append("")
        out.append(Format.table(header: header, rows: rows))
        out.append("")
        for s in plan.scales {
            let how = s.distribution == .uniform ? "Uniform(-b, b) with b = sqrt(3) std" : "Gaussian N(0, std^2)"
            let location = files[s.name].map { "; written to \($0.first!) ... \($0.last!) in \(npyDirectory ?? ".")" } ?? ""
            var h = ""
            if let solved = surrogates[s.name] {
                h = solved.map { "; surrogate \($0) holds the first step's gradient (Var[delta_1] = Var[delta_L])" }
                    ?? "; no surrogate scale in 1e-3...1e3 holds the first step's gradient at these weights"
            }
            out.append("\(s.name): \(how)\(location)\(h)")
        }
        return out.joined(separator: "\n")
    }
}
