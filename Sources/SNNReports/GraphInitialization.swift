import Foundation
import NIR
import SNNFormats
import SNNModel
import SNNSimulator
import SNNTheory

/// `init --nir`: new weights for every Affine, Linear and Conv node of a NIR graph, layer by layer in the order of the
/// edges, each drawn with the variance its scheme gives for its fan-in; the paper's scheme also uses the second moment
/// E[x^2] of the data reaching it as predicted with the new weights upstream (THEORY.md section 9): Var[w] =
/// sigma_t^2 / (gain^2 fan-in E[x^2]), which for spikes of rate P is the paper's sigma_t^2 / (fan-in P) at gain 1.
/// Every other node, parameter and edge is kept as the file has it.
public struct GraphInitialization {
    /// Per weighted node (by its path, `outer/inner` in nested graphs): the variance drawn with.
    public let variances: [(node: String, variance: Double)]
    /// The first-step prediction with the new weights.
    public let prediction: GraphPrediction
    /// The file's graph with the new weights.
    public let graph: NIRGraph

    public static let schemes: Set<String> = ["paper", "kaiming", "lecun", "glorot", "pytorch"]

    public init(file: NIRGraph, model: NetworkGraph, scheme: InitScheme, targetVariance: Double,
                input: InputEncoding, seed: UInt64, keepBias: Bool) throws {
        guard Self.schemes.contains(scheme.description) else {
            throw ModelError.invalid(parameter: "init", value: scheme.description,
                                     allowed: "one of paper, kaiming, lecun, glorot or pytorch with --nir")
        }
        let ordinals = Dictionary(uniqueKeysWithValues: model.nodes.indices.filter { model.nodes[$0].isWeighted }
            .enumerated().map { ($1, $0 + 1) })
        let distribution: WeightDistribution = scheme == .pytorch ? .uniform : .gaussian
        let drawn = Drawn()
        let prediction = GraphPrediction(model, input: input) { index, operation, secondMoment, gain in
            let (fanIn, fanOut, rows): (Int, Int, Int)
            switch operation {
            case .dense(let dense): (fanIn, fanOut, rows) = (dense.inputs, dense.outputs, dense.outputs)
            case .convolution(let c):
                (fanIn, fanOut, rows) = (c.fanIn, c.outputChannels * c.kernel.reduce(1, *), c.outputChannels)
            default: return operation
            }
            let variance: Double = switch scheme {
            case .paper: targetVariance / (gain * gain * Double(fanIn) * max(secondMoment, 1e-300))
            case .kaiming: 2 / Double(fanIn)
            case .glorot: 2 / Double(fanIn + fanOut)
            case .pytorch: 1 / (3 * Double(fanIn))
            default: 1 / Double(fanIn)
            }
            let finite = variance.isFinite ? variance : 0
            let weight = WeightMatrix.rowMajor(seed: seed, layer: ordinals[index]!, outputs: rows, inputs: fanIn,
                                               variance: finite, distribution: distribution)
            drawn.add(index, finite)
            switch operation {
            case .dense(let dense):
                return .dense(NetworkGraph.Dense(outputs: dense.outputs, inputs: dense.inputs, weight: weight,
                                                 bias: keepBias ? dense.bias : Array(repeating: 0, count: dense.bias.count)))
            case .convolution(let c):
                return .convolution(NetworkGraph.Convolution(
                    outputChannels: c.outputChannels, inputChannels: c.inputChannels, kernel: c.kernel, stride: c.stride,
                    padding: c.padding, dilation: c.dilation, groups: c.groups, weight: weight,
                    bias: keepBias ? c.bias : Array(repeating: 0, count: c.bias.count)))
            default:
                return operation
            }
        }
        self.prediction = prediction
        variances = drawn.values.sorted { $0.0 < $1.0 }.map { (model.nodes[$0.0].name, $0.1) }
        var graph = file
        for (index, node) in prediction.graph.nodes.enumerated() where node.isWeighted {
            try graph.replaceWeights(at: node.name.split(separator: "/").map(String.init), with: node.operation,
                                     keepBias: keepBias, original: model.nodes[index].operation)
        }
        self.graph = graph
    }

    /// The variances the closure drew with, by node index (the prediction calls it in node order, on one thread).
    private final class Drawn: @unchecked Sendable {
        var values: [(Int, Double)] = []
        func add(_ index: Int, _ variance: Double) { values.append((index, variance)) }
    }
}

extension NIRGraph {
    /// Sets the weights (and, unless kept, the biases) of the node at `path` from `operation`, in the file's own
    /// element type and storage.
    mutating func replaceWeights(at path: [String], with operation: NetworkGraph.Operation, keepBias: Bool,
                                 original: NetworkGraph.Operation) throws {
        guard let name = path.first, var node = nodes[name] else { return }
        if path.count > 1, case .graph(var subgraph) = node.kind {
            try subgraph.replaceWeights(at: Array(path.dropFirst()), with: operation, keepBias: keepBias,
                                        original: original)
            node.kind = .graph(subgraph)
            nodes[name] = node
            return
        }
        func like(_ array: HDF5Array, _ values: [Float]) -> HDF5Array {
            let elements: HDF5Array.Elements = if case .float64 = array.elements { .float64(values.map(Double.init)) }
                else { .float32(values) }
            return HDF5Array(shape: array.shape, elements: elements, storage: array.storage)
        }
        func zeroed(_ array: HDF5Array) -> HDF5Array {
            keepBias ? array : like(array, Array(repeating: 0, count: array.elements.count))
        }
        switch (node.kind, operation) {
        case (.affine(let weight, let bias), .dense(let dense)):
            node.kind = .affine(weight: like(weight, dense.weight), bias: zeroed(bias))
        case (.linear(let weight), .dense(let dense)):
            node.kind = .linear(weight: like(weight, dense.weight))
        case (.conv1d(var convolution), .convolution(let c)), (.conv2d(var convolution), .convolution(let c)):
            convolution.weight = like(convolution.weight, c.weight)
            convolution.bias = zeroed(convolution.bias)
            node.kind = if case .conv1d = node.kind { .conv1d(convolution) } else { .conv2d(convolution) }
        default:
            throw NIRError(file: "", node: name, reason: "cannot set weights on a \(node.kind.typeName) node")
        }
        nodes[name] = node
    }
}

/// `init --nir`'s output: the variance each weighted node was drawn with, then the first-step prediction with the
/// new weights.
public struct GraphInitReport {
    public let initialization: GraphInitialization
    public let scheme: String
    public let seed: UInt64
    public let out: String
    public let predict: GraphPredictReport

    public init(initialization: GraphInitialization, scheme: String, seed: UInt64, out: String,
                predict: GraphPredictReport) {
        self.initialization = initialization
        self.scheme = scheme
        self.seed = seed
        self.out = out
        self.predict = predict
    }

    public func json() -> JSON {
        .object([
            ("init", .string(scheme)), ("seed", .string("\(seed)")), ("out", .string(out)),
            ("weights", .array(initialization.variances.map { entry in
                .object([("node", .string(entry.node)), ("weight_variance", .number(entry.variance))])
            })),
            ("prediction", predict.json()),
        ])
    }

    public func csv() -> String {
        (["# snn-theory \(ToolVersion.current) init --nir: \(scheme), seed \(seed), written to \(out)", "node,weight_variance"]
            + initialization.variances.map { "\($0.node),\(Format.exact($0.variance))" }).joined(separator: "\n") + "\n"
            + predict.csv()
    }

    public func table() -> String {
        var out = ["snn-theory \(ToolVersion.current) init --nir: \(scheme) weights (seed \(seed)) written to \(self.out)", ""]
        out.append(Format.table(header: ["node", "Var[w]", "std"], rows: initialization.variances.map {
            [$0.node, Format.number($0.variance), Format.number($0.variance.squareRoot())]
        }))
        out.append("")
        out.append(predict.table())
        return out.joined(separator: "\n")
    }
}
