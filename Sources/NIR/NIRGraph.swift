/// A NIR graph as its file holds it: every node with its parameters, and the edges in file order. Shapes along the
/// edges are inferred and checked separately (`NIRShapes`).
public struct NIRGraph: Equatable, Sendable {
    /// The root `version` string (`0.2.0`, `1.0.8`); `nil` for a graph nested as a node of another.
    public var version: String?
    /// The nodes by name. HDF5 lists names lexicographically, so no order is kept here; the edges carry the order.
    public var nodes: [String: NIRNode]
    /// Source-to-target pairs, in the order of the `edges` dataset's rows.
    public var edges: [NIREdge]
    /// What the graph's group holds beyond `type`, `nodes` and `edges` (`metadata`, the graph's own `input_type`),
    /// and its attributes: kept to be written back unchanged.
    public var extras: HDF5Tree
    /// For the top-level graph, what the file's root holds beyond `version` and `node`, and its attributes.
    public var fileExtras: HDF5Tree

    public init(version: String?, nodes: [String: NIRNode], edges: [NIREdge], extras: HDF5Tree = HDF5Tree(),
                fileExtras: HDF5Tree = HDF5Tree()) {
        self.version = version
        self.nodes = nodes
        self.edges = edges
        self.extras = extras
        self.fileExtras = fileExtras
    }
}

public struct NIREdge: Equatable, Sendable {
    public var source: String
    public var target: String

    public init(_ source: String, _ target: String) {
        self.source = source
        self.target = target
    }
}

public struct NIRNode: Equatable, Sendable {
    public var name: String
    public var kind: NIRNodeKind
    /// The node group's datasets, groups and attributes the reader does not interpret (`metadata`, a field of a
    /// newer format version), written back unchanged. Integer fields (`groups`, `start_dim`, `end_dim`) and the
    /// newer generation's `input_type`/`output_type` groups stay here as stored, and are also read into `kind`.
    public var extras: HDF5Tree

    public init(name: String, kind: NIRNodeKind, extras: HDF5Tree = HDF5Tree()) {
        self.name = name
        self.kind = kind
        self.extras = extras
    }
}

/// A node's type and parameters. Parameters stay `HDF5Array`s: NIR writers store a neuron parameter as a scalar or
/// as one value per neuron of any rank, in float32 or float64, and the model decides later how to take each.
/// Optional parameters are those the older generations of the format do not write.
public enum NIRNodeKind: Equatable, Sendable {
    case input(shape: HDF5Array)
    case output(shape: HDF5Array)
    case affine(weight: HDF5Array, bias: HDF5Array)
    case linear(weight: HDF5Array)
    case scale(scale: HDF5Array)
    case threshold(threshold: HDF5Array)
    case delay(delay: HDF5Array)
    case conv1d(NIRConvolution)
    case conv2d(NIRConvolution)
    /// `inputType` is the shape of the incoming data when the writer recorded it.
    case flatten(startDim: Int, endDim: Int, inputType: HDF5Array?)
    case sumPool2d(NIRPooling)
    case avgPool2d(NIRPooling)
    /// NIR's `I`: a pure integrator.
    case integrator(r: HDF5Array)
    /// NIR's `IF`; a missing `vReset` means 0, as `nir.read` takes it.
    case integrateAndFire(r: HDF5Array, vThreshold: HDF5Array, vReset: HDF5Array?)
    /// NIR's `LI`.
    case leakyIntegrator(tau: HDF5Array, r: HDF5Array, vLeak: HDF5Array)
    /// NIR's `LIF`; a missing `vReset` means 0.
    case leakyIntegrateAndFire(tau: HDF5Array, r: HDF5Array, vLeak: HDF5Array, vThreshold: HDF5Array,
                               vReset: HDF5Array?)
    case cubaLI(tauMem: HDF5Array, tauSyn: HDF5Array, r: HDF5Array, vLeak: HDF5Array, wIn: HDF5Array?)
    case cubaLIF(tauMem: HDF5Array, tauSyn: HDF5Array, r: HDF5Array, vLeak: HDF5Array, vThreshold: HDF5Array,
                 wIn: HDF5Array?, vReset: HDF5Array?)
    indirect case graph(NIRGraph)

    /// The name the file's `type` dataset gives the node.
    public var typeName: String {
        switch self {
        case .input: "Input"
        case .output: "Output"
        case .affine: "Affine"
        case .linear: "Linear"
        case .scale: "Scale"
        case .threshold: "Threshold"
        case .delay: "Delay"
        case .conv1d: "Conv1d"
        case .conv2d: "Conv2d"
        case .flatten: "Flatten"
        case .sumPool2d: "SumPool2d"
        case .avgPool2d: "AvgPool2d"
        case .integrator: "I"
        case .integrateAndFire: "IF"
        case .leakyIntegrator: "LI"
        case .leakyIntegrateAndFire: "LIF"
        case .cubaLI: "CubaLI"
        case .cubaLIF: "CubaLIF"
        case .graph: "NIRGraph"
        }
    }
}

public struct NIRConvolution: Equatable, Sendable {
    public var weight: HDF5Array
    public var bias: HDF5Array
    public var stride: HDF5Array
    public var padding: HDF5Array
    public var dilation: HDF5Array
    public var groups: Int
    /// The spatial shape of the input, when the writer recorded it.
    public var inputShape: HDF5Array?

    public init(weight: HDF5Array, bias: HDF5Array, stride: HDF5Array, padding: HDF5Array, dilation: HDF5Array,
                groups: Int, inputShape: HDF5Array?) {
        self.weight = weight
        self.bias = bias
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        self.inputShape = inputShape
    }
}

public struct NIRPooling: Equatable, Sendable {
    public var kernelSize: HDF5Array
    public var stride: HDF5Array
    public var padding: HDF5Array

    public init(kernelSize: HDF5Array, stride: HDF5Array, padding: HDF5Array) {
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
    }
}

/// A file that is valid HDF5 but not a NIR graph this reader understands. One line, naming the file, the node (a
/// path such as `sub/0` inside nested graphs, empty for the graph itself) and what is wrong.
public struct NIRError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let node: String
    public let reason: String

    public init(file: String, node: String, reason: String) {
        self.file = file
        self.node = node
        self.reason = reason
    }

    public var description: String {
        node.isEmpty ? "NIR graph '\(file)': \(reason)" : "NIR graph '\(file)', node '\(node)': \(reason)"
    }
}
