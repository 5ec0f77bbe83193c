extension NIRGraph {
    /// Writes the graph to `path` (replacing any file there) as NIR's own writer lays it out: a root `version`, the
    /// group `node` with `type` "NIRGraph", `nodes/<name>/` and `edges` (N x 2 variable-length UTF-8 strings). Every
    /// field is stored as it was read (element type, gzip level, attributes), and every dataset, group and attribute
    /// the reader kept without interpreting is written back unchanged; a new array with no storage of its own gets
    /// `newArrays` (NIR's writer gzips every array).
    public func write(to path: String, newArrays: HDF5Storage = HDF5Storage(gzipLevel: 4)) throws {
        let file = try HDF5File.create(path)
        try file.closeAfter {
            try file.withRoot { root in
                try root.write(.scalar(version ?? Self.writtenVersion), to: "version")
                let node = try root.createGroup("node")
                try node.closeAfter { try writeGraph(into: node, newArrays: newArrays) }
                try root.writeTree(fileExtras)
            }
        }
    }

    /// The format version written for a graph that has none of its own: the one whose layout `write` follows.
    public static let writtenVersion = "1.0.6"

    private func writeGraph(into group: HDF5Group, newArrays: HDF5Storage) throws {
        try group.write(.scalar("NIRGraph"), to: "type")
        let names = edges.flatMap { [$0.source, $0.target] }
        try group.write(HDF5Array(shape: [edges.count, 2], elements: .string(names)), to: "edges")
        let nodesGroup = try group.createGroup("nodes")
        try nodesGroup.closeAfter {
            for name in nodes.keys.sorted() {
                let node = nodes[name]!
                let nodeGroup = try nodesGroup.createGroup(name)
                try nodeGroup.closeAfter {
                    if case .graph(let subgraph) = node.kind {
                        try subgraph.writeGraph(into: nodeGroup, newArrays: newArrays)
                    } else {
                        try nodeGroup.write(.scalar(node.kind.typeName), to: "type")
                        for (field, array) in node.kind.fields(keeping: node.extras) {
                            var stored = array
                            if stored.storage == HDF5Storage() { stored.storage = newArrays }
                            try nodeGroup.write(stored, to: field)
                        }
                    }
                    try nodeGroup.writeTree(node.extras)
                }
            }
        }
        try group.writeTree(extras)
    }
}

extension NIRNodeKind {
    /// The node's interpreted fields as NIR names them, for writing. A field the node's `extras` already hold (the
    /// integer fields and the newer generation's type groups, kept as stored) is left to them.
    func fields(keeping extras: HDF5Tree) -> [(String, HDF5Array)] {
        let integer = { (value: Int) in HDF5Array(shape: [], elements: .int64([Int64(value)])) }
        var fields: [(String, HDF5Array?)]
        switch self {
        case .input(let shape):
            fields = [("shape", extras.members["input_type"] == nil ? shape : nil)]
        case .output(let shape):
            fields = [("shape", extras.members["output_type"] == nil ? shape : nil)]
        case .affine(let weight, let bias):
            fields = [("weight", weight), ("bias", bias)]
        case .linear(let weight):
            fields = [("weight", weight)]
        case .scale(let scale):
            fields = [("scale", scale)]
        case .threshold(let threshold):
            fields = [("threshold", threshold)]
        case .delay(let delay):
            fields = [("delay", delay)]
        case .conv1d(let convolution), .conv2d(let convolution):
            fields = [("weight", convolution.weight), ("bias", convolution.bias), ("stride", convolution.stride),
                      ("padding", convolution.padding), ("dilation", convolution.dilation),
                      ("groups", integer(convolution.groups)), ("input_shape", convolution.inputShape)]
        case .flatten(let startDim, let endDim, let inputType):
            fields = [("start_dim", integer(startDim)), ("end_dim", integer(endDim)),
                      ("input_type", extras.members["input_type"] == nil ? inputType : nil)]
        case .sumPool2d(let pooling), .avgPool2d(let pooling):
            fields = [("kernel_size", pooling.kernelSize), ("stride", pooling.stride), ("padding", pooling.padding)]
        case .integrator(let r):
            fields = [("r", r)]
        case .integrateAndFire(let r, let vThreshold, let vReset):
            fields = [("r", r), ("v_threshold", vThreshold), ("v_reset", vReset)]
        case .leakyIntegrator(let tau, let r, let vLeak):
            fields = [("tau", tau), ("r", r), ("v_leak", vLeak)]
        case .leakyIntegrateAndFire(let tau, let r, let vLeak, let vThreshold, let vReset):
            fields = [("tau", tau), ("r", r), ("v_leak", vLeak), ("v_threshold", vThreshold), ("v_reset", vReset)]
        case .cubaLI(let tauMem, let tauSyn, let r, let vLeak, let wIn):
            fields = [("tau_mem", tauMem), ("tau_syn", tauSyn), ("r", r), ("v_leak", vLeak), ("w_in", wIn)]
        case .cubaLIF(let tauMem, let tauSyn, let r, let vLeak, let vThreshold, let wIn, let vReset):
            fields = [("tau_mem", tauMem), ("tau_syn", tauSyn), ("r", r), ("v_leak", vLeak),
                      ("v_threshold", vThreshold), ("w_in", wIn), ("v_reset", vReset)]
        case .graph:
            fields = []
        }
        return fields.compactMap { name, array in
            guard let array, extras.members[name] == nil else { return nil }
            return (name, array)
        }
    }
}
