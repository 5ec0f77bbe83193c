import Foundation
import NIR
import SNNFormats
import SNNTheory

/// `nir inspect`'s result: the graph in edge order with each node's shapes and weight statistics, and every neuron
/// node as each convention discretizes it, with the differences from the exact sampling said in words.
public struct NIRInspectReport {
    public let file: String
    public let graph: NIRGraph
    public let structure: NIRStructure
    /// The time step (seconds) of the conventions that take one.
    public let step: Double
    public let rows: [Row]
    /// The cycles of the graph and of every nested graph (inner names as `outer/inner`).
    public let cycles: [[String]]

    /// One node's line.
    public struct Row {
        public let name: String
        public let type: String
        public let inputShape: [Int]?
        public let outputShape: [Int]?
        public let weights: WeightSummary?
        public let bias: (mean: Double, spread: Double)?
        public let neuron: NIRNeuronParameters?
        /// Per convention, in `NIRConvention.allCases` order; empty for a node that is not a neuron.
        public let discretized: [NIRDiscreteNeuron]
        /// For weighted nodes, with a prediction: the predicted mean E[x] of the data reaching the node at the first
        /// step, and Var[w] x fan-in x E[x^2], 1 for the paper's 1 / (fan-in P) (spikes: E[x^2] = P).
        public var inputRate: Double? = nil
        public var paperRatio: Double? = nil
    }

    public struct WeightSummary {
        public let shape: [Int]
        public let fanIn: Int
        public let mean: Double
        public let variance: Double
        public var fanInTimesVariance: Double { Double(fanIn) * variance }
    }

    /// With `prediction` (the first step of the graph as a convention runs it), weighted rows gain the input rate and
    /// the ratio of their weight variance to the paper's.
    public init(file: String, graph: NIRGraph, step: Double, prediction: GraphPrediction? = nil,
                structure: NIRStructure? = nil) throws {
        self.file = file
        self.graph = graph
        self.step = step
        let structure = try structure ?? graph.structure(file: file)
        self.structure = structure
        var rows: [Row] = []
        var cycles = structure.cycles
        try Self.appendRows(of: graph, structure: structure, prefix: "", file: file, step: step,
                            version: graph.version, to: &rows, cycles: &cycles)
        if let prediction {
            let byName = Dictionary(uniqueKeysWithValues: prediction.graph.nodes.enumerated().map { ($1.name, $0) })
            for index in rows.indices {
                guard let node = byName[rows[index].name], let weights = rows[index].weights else { continue }
                let moments = prediction.inputMoments[node]
                rows[index].inputRate = moments.mean
                rows[index].paperRatio = weights.variance * Double(weights.fanIn) * moments.secondMoment
            }
        }
        self.prediction = prediction
        self.rows = rows
        self.cycles = cycles
    }

    public let prediction: GraphPrediction?

    /// The graph's rows in its order; a nested graph's own nodes follow its row, named `outer/inner`.
    private static func appendRows(of graph: NIRGraph, structure: NIRStructure, prefix: String, file: String,
                                   step: Double, version: String?, to rows: inout [Row],
                                   cycles: inout [[String]]) throws {
        for name in structure.order {
            let node = graph.nodes[name]!
            let neuron = NIRNeuronParameters(node.kind)
            rows.append(Row(name: prefix + name, type: node.kind.typeName, inputShape: structure.inputShapes[name],
                            outputShape: structure.outputShapes[name], weights: weights(node.kind),
                            bias: bias(node.kind), neuron: neuron,
                            discretized: neuron.map { parameters in
                                NIRConvention.allCases.map { parameters.discretized($0, step: step, version: version) }
                            } ?? []))
            if case .graph(let subgraph) = node.kind {
                let inner = try subgraph.structure(file: file, prefix: prefix + name)
                cycles += inner.cycles.map { $0.map { prefix + name + "/" + $0 } }
                try appendRows(of: subgraph, structure: inner, prefix: prefix + name + "/", file: file, step: step,
                               version: version, to: &rows, cycles: &cycles)
            }
        }
    }

    static func weights(_ kind: NIRNodeKind) -> WeightSummary? {
        let weight: HDF5Array
        let fanIn: Int
        switch kind {
        case .affine(let w, _), .linear(let w):
            guard w.shape.count == 2 else { return nil }
            weight = w
            fanIn = w.shape[1]
        case .conv1d(let convolution), .conv2d(let convolution):
            weight = convolution.weight
            fanIn = weight.shape.dropFirst().reduce(1, *)
        default:
            return nil
        }
        guard let (mean, variance) = weight.meanAndVariance else { return nil }
        return WeightSummary(shape: weight.shape, fanIn: fanIn, mean: mean, variance: variance)
    }

    static func bias(_ kind: NIRNodeKind) -> (mean: Double, spread: Double)? {
        let bias: HDF5Array
        switch kind {
        case .affine(_, let b): bias = b
        case .conv1d(let convolution), .conv2d(let convolution): bias = convolution.bias
        default: return nil
        }
        guard let (mean, variance) = bias.meanAndVariance else { return nil }
        return (mean, variance.squareRoot())
    }

    /// A convention's value differs from the exact one's by more than 1% (relative), or one of them is missing.
    static func differs(_ value: Double?, _ exact: Double?) -> Bool {
        switch (value, exact) {
        case (nil, nil): false
        case let (value?, exact?): abs(value - exact) > 0.01 * max(abs(exact), 1e-300)
        default: true
        }
    }

    static func differs(_ reset: NIRReset?, _ exact: NIRReset?) -> Bool {
        switch (reset, exact) {
        case let (.to(a)?, .to(b)?): differs(a, b)
        default: reset != exact
        }
    }

    /// The sentences of the footer: per neuron node and framework, what it would build that the exact reading
    /// does not (beyond 1%), and what it ignores or fails on.
    /// Nodes that would get the same sentence share one line (`1, 3, 6: ...`).
    public var differences: [String] {
        var lines: [String] = []
        var nodesBySentence: [String: [String]] = [:]
        for row in rows where !row.discretized.isEmpty {
            let exact = row.discretized[0]
            for neuron in row.discretized.dropFirst() {
                var parts: [String] = []
                if !neuron.imported, let first = neuron.notes.first {
                    if nodesBySentence[first] == nil { lines.append(first) }
                    nodesBySentence[first, default: []].append(row.name)
                    continue
                }
                if Self.differs(neuron.leak, exact.leak) {
                    parts.append("beta = \(NIRDiscreteNeuron.format(neuron.leak)) (exact \(NIRDiscreteNeuron.format(exact.leak)))")
                }
                if Self.differs(neuron.synapticLeak, exact.synapticLeak) {
                    parts.append("alpha = \(neuron.synapticLeak.map(NIRDiscreteNeuron.format) ?? "-") (exact \(exact.synapticLeak.map(NIRDiscreteNeuron.format) ?? "-"))")
                }
                if Self.differs(neuron.drive, exact.drive) || (neuron.threshold == nil && Self.differs(neuron.inputGain, exact.inputGain)) {
                    let (value, reference) = neuron.threshold == nil ? (neuron.inputGain, exact.inputGain)
                        : (neuron.drive ?? 0, exact.drive ?? 0)
                    parts.append("input gain\(neuron.threshold == nil ? "" : "/threshold") = \(NIRDiscreteNeuron.format(value)) (exact \(NIRDiscreteNeuron.format(reference)))")
                }
                if Self.differs(neuron.reset, exact.reset), let reset = neuron.reset {
                    parts.append("reset \(reset.text) where the file asks for \(exact.reset?.text ?? "none")")
                }
                if neuron.firing == .multiSpike { parts.append("floor(v/threshold) spikes at v >= threshold") }
                var sentence = parts.isEmpty ? "" : "\(neuron.convention.displayName) would import this \(row.type) with "
                    + parts.joined(separator: ", ")
                let notes = neuron.notes.joined(separator: "; ")
                if !notes.isEmpty { sentence += sentence.isEmpty ? notes : "; \(notes)" }
                guard !sentence.isEmpty else { continue }
                if nodesBySentence[sentence] == nil { lines.append(sentence) }
                nodesBySentence[sentence, default: []].append(row.name)
            }
        }
        return lines.map { nodesBySentence[$0]!.joined(separator: ", ") + ": " + $0 + "." }
    }

    private static func shapeText(_ shape: [Int]?) -> String {
        shape.map { "[" + $0.map(String.init).joined(separator: ",") + "]" } ?? "?"
    }

    private static func shapeJSON(_ shape: [Int]?) -> JSON {
        shape.map { .array($0.map { .integer($0) }) } ?? .null
    }

    private static func conventionCells(_ row: Row, _ neuron: NIRDiscreteNeuron, exact: NIRDiscreteNeuron) -> [String] {
        let f = NIRDiscreteNeuron.format
        let mark = { (different: Bool) -> String in different && neuron.convention != .exact ? "*" : "" }
        let convention: String = neuron.convention.rawValue + (neuron.imported ? "" : " (fails)")
        let leak: String = f(neuron.leak) + mark(differs(neuron.leak, exact.leak))
        let alpha: String = (neuron.synapticLeak.map(f) ?? "") + mark(differs(neuron.synapticLeak, exact.synapticLeak))
        let drive: String = (neuron.drive.map(f) ?? "") + mark(differs(neuron.drive, exact.drive))
        let reset: String = (neuron.reset?.text ?? "") + mark(differs(neuron.reset, exact.reset))
        let step: String = neuron.step.map(f) ?? "steps"
        let threshold: String = neuron.threshold.map(f) ?? ""
        return [row.name, row.type, convention, step, leak, alpha, f(neuron.inputGain), threshold, drive, reset,
                neuron.firing?.rawValue ?? ""]
    }

    private func nodeCells(_ row: Row) -> [String] {
        let number = { (value: Double?) -> String in value.map { Format.number($0) } ?? "" }
        var cells: [String] = [row.name, row.type, Self.shapeText(row.inputShape), Self.shapeText(row.outputShape),
                               row.weights.map { "\($0.fanIn)" } ?? ""]
        cells += [number(row.weights?.mean), number(row.weights?.variance), number(row.weights?.fanInTimesVariance),
                  number(row.bias?.mean), number(row.bias?.spread)]
        if prediction != nil { cells += [number(row.inputRate), number(row.paperRatio)] }
        return cells
    }

    public func table() -> String {
        var out = [
            "snn-theory \(ToolVersion.current) nir inspect: \(file)",
            "NIR version \(graph.version ?? "?"); \(graph.nodes.count) nodes, \(graph.edges.count) edges; "
                + "dt \(NIRDiscreteNeuron.format(step)) s for the conventions that take one",
            "",
        ]
        var header = ["node", "type", "shape in", "shape out", "fan-in", "weight mean", "weight var", "fan-in x var",
                      "bias mean", "bias spread"]
        if prediction != nil { header += ["input rate", "var / paper"] }
        out.append(Format.table(header: header, rows: rows.map(nodeCells)))
        if prediction != nil {
            out.append("(input rate: the predicted mean of what reaches the node at the first step, elements taken as "
                + "independent; var / paper: Var[w] "
                + "x fan-in x E[x^2], 1 for the paper's 1 / (fan-in P))")
        }
        let neurons = rows.filter { !$0.discretized.isEmpty }
        if !neurons.isEmpty {
            out.append("")
            out.append("Neurons as each convention discretizes them (per step: v = beta v + gain x; * differs from "
                + "exact by more than 1%; the gain/threshold ratio decides spiking whatever the membrane's scale):")
            var table: [[String]] = []
            for row in neurons {
                let exact = row.discretized[0]
                for neuron in row.discretized {
                    table.append(Self.conventionCells(row, neuron, exact: exact))
                }
            }
            out.append(Format.table(header: ["node", "type", "convention", "dt", "beta", "alpha", "gain", "threshold",
                                              "gain/threshold", "reset", "fires"], rows: table))
            if neurons.contains(where: { !($0.neuron?.uniform ?? true) }) {
                out.append("(parameters that vary across a node's neurons are shown by their mean)")
            }
        }
        for cycle in cycles {
            out.append("")
            out.append("recurrent: the cycle " + cycle.joined(separator: " -> "))
        }
        let differences = differences
        if !differences.isEmpty {
            out.append("")
            out.append("What the frameworks make of this file:")
            out += differences.map { "  " + $0 }
        }
        return out.joined(separator: "\n")
    }

    public func json() -> JSON {
        func neuronJSON(_ neuron: NIRDiscreteNeuron) -> JSON {
            .object([
                ("convention", .string(neuron.convention.rawValue)), ("imported", .bool(neuron.imported)),
                ("dt", neuron.step.map { .number($0) } ?? .null), ("beta", .number(neuron.leak)),
                ("alpha", neuron.synapticLeak.map { .number($0) } ?? .null), ("input_gain", .number(neuron.inputGain)),
                ("threshold", neuron.threshold.map { .number($0) } ?? .null),
                ("gain_over_threshold", neuron.drive.map { .number($0) } ?? .null),
                ("reset", neuron.reset.map { reset in
                    switch reset {
                    case .subtract: .object([("kind", .string("subtract"))])
                    case .to(let value): .object([("kind", .string("to")), ("value", .number(value))])
                    }
                } ?? .null),
                ("fires", neuron.firing.map { .string($0.rawValue) } ?? .null), ("bias", .number(neuron.bias)),
                ("notes", .array(neuron.notes.map { .string($0) })),
            ])
        }
        let nodes: [JSON] = rows.map { row in
            var pairs: [(String, JSON)] = [
                ("name", .string(row.name)), ("type", .string(row.type)),
                ("input_shape", Self.shapeJSON(row.inputShape)), ("output_shape", Self.shapeJSON(row.outputShape)),
                ("predecessors", .array((structure.predecessors[row.name] ?? []).map { .string($0) })),
            ]
            if let weights = row.weights {
                pairs.append(("weight", .object([
                    ("shape", Self.shapeJSON(weights.shape)), ("fan_in", .integer(weights.fanIn)),
                    ("mean", .number(weights.mean)), ("variance", .number(weights.variance)),
                    ("fan_in_times_variance", .number(weights.fanInTimesVariance)),
                ])))
            }
            if let bias = row.bias {
                pairs.append(("bias", .object([("mean", .number(bias.mean)), ("spread", .number(bias.spread))])))
            }
            if let rate = row.inputRate { pairs.append(("predicted_input_rate", .number(rate))) }
            if let ratio = row.paperRatio { pairs.append(("weight_variance_over_paper", .number(ratio))) }
            if let neuron = row.neuron {
                pairs.append(("neuron", .object([
                    ("tau", neuron.tau.map { .number($0) } ?? .null),
                    ("tau_syn", neuron.tauSyn.map { .number($0) } ?? .null), ("r", .number(neuron.r)),
                    ("v_leak", .number(neuron.vLeak)), ("v_threshold", neuron.vThreshold.map { .number($0) } ?? .null),
                    ("v_reset", neuron.vReset.map { .number($0) } ?? .null), ("w_in", .number(neuron.wIn)),
                    ("uniform", .bool(neuron.uniform)),
                ])))
                pairs.append(("discretization", .array(row.discretized.map(neuronJSON))))
            }
            return .object(pairs)
        }
        return .object([
            ("model", .object([
                ("tool", .string("snn-theory")), ("version", .string(ToolVersion.current)),
                ("command", .string("nir inspect")), ("file", .string(file)),
                ("nir_version", graph.version.map { .string($0) } ?? .null), ("dt", .number(step)),
            ])),
            ("nodes", .array(nodes)),
            ("edges", .array(graph.edges.map { .array([.string($0.source), .string($0.target)]) })),
            ("cycles", .array(cycles.map { .array($0.map { .string($0) }) })),
            ("differences", .array(differences.map { .string($0) })),
        ])
    }

    /// One line per node (and per convention for neurons), for scripts.
    public func csv() -> String {
        var lines = ["# snn-theory \(ToolVersion.current) nir inspect: \(file); dt \(step)",
                     "node,type,shape_in,shape_out,fan_in,weight_mean,weight_variance,fan_in_times_variance,bias_mean,"
                         + "bias_spread,convention,imported,dt,beta,alpha,input_gain,threshold,gain_over_threshold,reset,fires"]
        let shape = { (s: [Int]?) -> String in s.map { $0.map(String.init).joined(separator: "x") } ?? "" }
        let number = { (value: Double?) -> String in value.map(Format.exact) ?? "" }
        for row in rows {
            let weights: [String] = [row.weights.map { "\($0.fanIn)" } ?? "", number(row.weights?.mean),
                                     number(row.weights?.variance), number(row.weights?.fanInTimesVariance)]
            let base: [String] = [row.name, row.type, shape(row.inputShape), shape(row.outputShape)] + weights
                + [number(row.bias?.mean), number(row.bias?.spread)]
            if row.discretized.isEmpty {
                lines.append((base + Array(repeating: "", count: 10)).joined(separator: ","))
            }
            for neuron in row.discretized {
                let reset: String = switch neuron.reset {
                case .subtract?: "subtract"
                case .to(let value)?: "to:\(Format.exact(value))"
                case nil: ""
                }
                let cells: [String] = [
                    neuron.convention.rawValue, "\(neuron.imported)", neuron.step.map(Format.exact) ?? "steps",
                    Format.exact(neuron.leak), neuron.synapticLeak.map(Format.exact) ?? "",
                    Format.exact(neuron.inputGain), neuron.threshold.map(Format.exact) ?? "",
                    neuron.drive.map(Format.exact) ?? "", reset, neuron.firing?.rawValue ?? "",
                ]
                lines.append((base + cells).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
