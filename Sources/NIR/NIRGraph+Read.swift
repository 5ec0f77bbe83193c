extension NIRGraph {
    /// Reads the graph in `path`: the root `version` and the graph group `node`. Field names of both generations are
    /// accepted: NIR 0.x writes an `Input`'s or `Output`'s shape as the dataset `shape` and a `Flatten`'s input shape
    /// as the dataset `input_type`, later versions may write them only inside the groups `input_type`/`output_type`
    /// (member `input` or `output`). Failures of the file itself throw `HDF5Error`; a graph this reader cannot take
    /// throws `NIRError`.
    public static func read(path: String) throws -> NIRGraph {
        let file = try HDF5File.open(path)
        return try file.closeAfter {
            try file.withRoot { root in
                let reader = NodeReader(file: path, node: "", group: root)
                let version = try reader.string("version")
                guard try root.contains("node") else {
                    throw NIRError(file: path, node: "", reason: "missing group 'node'")
                }
                guard try root.kind(of: "node") == .group else {
                    throw NIRError(file: path, node: "", reason: "'node' is not a group")
                }
                var graph = try root.withGroup("node") { node in
                    let graphReader = NodeReader(file: path, node: "", group: node)
                    let type = try graphReader.string("type")
                    guard type == "NIRGraph" else {
                        throw NIRError(file: path, node: "",
                                       reason: "the group 'node' is a '\(type)', not a 'NIRGraph'")
                    }
                    return try readGraph(graphReader, version: version)
                }
                graph.fileExtras = try root.readTree(skipping: ["version", "node"])
                return graph
            }
        }
    }

    private static func readGraph(_ reader: NodeReader, version: String?) throws -> NIRGraph {
        guard try reader.group.contains("nodes"), try reader.group.kind(of: "nodes") == .group else {
            throw reader.error("missing group 'nodes'")
        }
        let nodes = try reader.group.withGroup("nodes") { nodesGroup in
            try nodesGroup.memberNames().map { name in
                let path = reader.node.isEmpty ? name : "\(reader.node)/\(name)"
                guard try nodesGroup.kind(of: name) == .group else {
                    throw NIRError(file: reader.file, node: path, reason: "not a group")
                }
                return try nodesGroup.withGroup(name) { group in
                    let nodeReader = NodeReader(file: reader.file, node: path, group: group)
                    let kind = try readKind(nodeReader)
                    // A nested graph keeps its group's unread members as its own extras.
                    if case .graph = kind { return NIRNode(name: name, kind: kind) }
                    return NIRNode(name: name, kind: kind, extras: try nodeReader.unread())
                }
            }
        }
        let byName = Dictionary(uniqueKeysWithValues: nodes.map { ($0.name, $0) })
        let edges = try readEdges(reader)
        for (row, edge) in edges.enumerated() {
            for end in [edge.source, edge.target] where byName[end] == nil {
                let path = reader.node.isEmpty ? end : "\(reader.node)/\(end)"
                throw NIRError(file: reader.file, node: path,
                               reason: "edge \(row) (\(edge.source) -> \(edge.target)) names a node the graph lacks")
            }
        }
        reader.consumed.insert("nodes")
        return NIRGraph(version: version, nodes: byName, edges: edges, extras: try reader.unread())
    }

    private static func readEdges(_ reader: NodeReader) throws -> [NIREdge] {
        let array = try reader.required("edges")
        if array.elements.count == 0 { return [] }
        guard case .string(let names) = array.elements, array.shape.count == 2, array.shape[1] == 2 else {
            throw reader.error("'edges' is a \(array.elements.typeName) array of shape \(array.shape), "
                               + "not an N x 2 array of strings")
        }
        return stride(from: 0, to: names.count, by: 2).map { NIREdge(names[$0], names[$0 + 1]) }
    }

    private static func readKind(_ reader: NodeReader) throws -> NIRNodeKind {
        let type = try reader.string("type")
        switch type {
        case "Input":
            return .input(shape: try reader.generations(dataset: "shape", group: "input_type", member: "input"))
        case "Output":
            return .output(shape: try reader.generations(dataset: "shape", group: "output_type", member: "output"))
        case "Affine":
            return .affine(weight: try reader.required("weight"), bias: try reader.required("bias"))
        case "Linear":
            return .linear(weight: try reader.required("weight"))
        case "Scale":
            return .scale(scale: try reader.required("scale"))
        case "Threshold":
            return .threshold(threshold: try reader.required("threshold"))
        case "Delay":
            return .delay(delay: try reader.required("delay"))
        case "Conv1d":
            return .conv1d(try readConvolution(reader))
        case "Conv2d":
            return .conv2d(try readConvolution(reader))
        case "Flatten":
            return .flatten(startDim: try reader.integer("start_dim"), endDim: try reader.integer("end_dim"),
                            inputType: try reader.optionalGenerations(dataset: "input_type", group: "input_type",
                                                                      member: "input"))
        case "SumPool2d":
            return .sumPool2d(try readPooling(reader))
        case "AvgPool2d":
            return .avgPool2d(try readPooling(reader))
        case "I":
            return .integrator(r: try reader.required("r"))
        case "IF":
            return .integrateAndFire(r: try reader.required("r"), vThreshold: try reader.required("v_threshold"),
                                     vReset: try reader.optional("v_reset"))
        case "LI":
            return .leakyIntegrator(tau: try reader.required("tau"), r: try reader.required("r"),
                                    vLeak: try reader.required("v_leak"))
        case "LIF":
            return .leakyIntegrateAndFire(tau: try reader.required("tau"), r: try reader.required("r"),
                                          vLeak: try reader.required("v_leak"),
                                          vThreshold: try reader.required("v_threshold"),
                                          vReset: try reader.optional("v_reset"))
        case "CubaLI":
            return .cubaLI(tauMem: try reader.required("tau_mem"), tauSyn: try reader.required("tau_syn"),
                           r: try reader.required("r"), vLeak: try reader.required("v_leak"),
                           wIn: try reader.optional("w_in"))
        case "CubaLIF":
            return .cubaLIF(tauMem: try reader.required("tau_mem"), tauSyn: try reader.required("tau_syn"),
                            r: try reader.required("r"), vLeak: try reader.required("v_leak"),
                            vThreshold: try reader.required("v_threshold"), wIn: try reader.optional("w_in"),
                            vReset: try reader.optional("v_reset"))
        case "NIRGraph":
            return .graph(try readGraph(reader, version: nil))
        default:
            throw reader.error("unknown node type '\(type)'")
        }
    }

    private static func readConvolution(_ reader: NodeReader) throws -> NIRConvolution {
        NIRConvolution(weight: try reader.required("weight"), bias: try reader.required("bias"),
                       stride: try reader.required("stride"), padding: try reader.required("padding"),
                       dilation: try reader.required("dilation"), groups: try reader.integer("groups"),
                       inputShape: try reader.optional("input_shape"))
    }

    private static func readPooling(_ reader: NodeReader) throws -> NIRPooling {
        NIRPooling(kernelSize: try reader.required("kernel_size"), stride: try reader.required("stride"),
                   padding: try reader.required("padding"))
    }
}

/// One open node group and where it is, so that every error can name the file and the node; it notes the members it
/// interprets, so that the rest can be kept.
private final class NodeReader {
    let file: String
    let node: String
    let group: HDF5Group
    var consumed: Set<String> = []

    init(file: String, node: String, group: HDF5Group) {
        self.file = file
        self.node = node
        self.group = group
    }

    func error(_ reason: String) -> NIRError {
        NIRError(file: file, node: node, reason: reason)
    }

    /// The group's attributes and the members no field was read from.
    func unread() throws -> HDF5Tree {
        try group.readTree(skipping: consumed)
    }

    func optional(_ name: String) throws -> HDF5Array? {
        guard try group.contains(name) else { return nil }
        guard try group.kind(of: name) == .dataset else { throw error("'\(name)' is not a dataset") }
        consumed.insert(name)
        return try group.read(name)
    }

    func required(_ name: String) throws -> HDF5Array {
        guard let array = try optional(name) else { throw error("missing dataset '\(name)'") }
        return array
    }

    func string(_ name: String) throws -> String {
        let array = try required(name)
        guard case .string(let values) = array.elements, values.count == 1 else {
            throw error("'\(name)' is a \(array.elements.typeName) array of shape \(array.shape), not one string")
        }
        return values[0]
    }

    /// Writers store integer fields as int64 scalars; some store them as one-element arrays. The field stays among
    /// the unread members, so that it is written back as it was stored.
    func integer(_ name: String) throws -> Int {
        let array = try required(name)
        consumed.remove(name)
        guard case .int64(let values) = array.elements, values.count == 1 else {
            throw error("'\(name)' is a \(array.elements.typeName) array of shape \(array.shape), not one integer")
        }
        return Int(values[0])
    }

    /// The older generation's dataset `dataset`, else the newer one's `group/member` (the group stays among the
    /// unread members), else nil.
    func optionalGenerations(dataset: String, group groupName: String, member: String) throws -> HDF5Array? {
        if try group.contains(dataset), try group.kind(of: dataset) == .dataset {
            return try optional(dataset)
        }
        guard try group.contains(groupName), try group.kind(of: groupName) == .group else { return nil }
        return try group.withGroup(groupName) { inner in
            try inner.contains(member) ? try inner.read(member) : nil
        }
    }

    func generations(dataset: String, group groupName: String, member: String) throws -> HDF5Array {
        guard let array = try optionalGenerations(dataset: dataset, group: groupName, member: member) else {
            throw error("missing dataset '\(dataset)' (or '\(groupName)/\(member)')")
        }
        return array
    }
}
