import Foundation
import NIR
import SNNTestSupport
import Testing

/// Reading a NIR graph: what a small file holds comes back as typed nodes and edges, in both generations of field
/// names, and a graph the reader cannot take is refused with an error naming the node.
@Suite struct NIRGraphTests {
    static func floats(_ values: [Float], shape: [Int]? = nil) -> HDF5Array {
        HDF5Array(shape: shape ?? [values.count], elements: .float32(values))
    }

    static func integers(_ values: [Int64]) -> HDF5Array {
        HDF5Array(shape: [values.count], elements: .int64(values))
    }

    static func edges(_ pairs: [(String, String)]) -> HDF5Array {
        HDF5Array(shape: [pairs.count, 2], elements: .string(pairs.flatMap { [$0.0, $0.1] }))
    }

    /// Writes each dataset at its absolute path, creating the groups above it on the way.
    static func write(_ datasets: [(String, HDF5Array)], to path: String) throws {
        let file = try HDF5File.create(path)
        try file.closeAfter {
            var groups: Set<String> = ["/"]
            for (datasetPath, array) in datasets {
                var parts = datasetPath.split(separator: "/").map(String.init)
                let name = parts.removeLast()
                var parent = "/"
                for part in parts {
                    let child = parent == "/" ? "/\(part)" : "\(parent)/\(part)"
                    if !groups.contains(child) {
                        let group = try file.openGroup(parent)
                        try group.closeAfter { try group.createGroup(part).close() }
                        groups.insert(child)
                    }
                    parent = child
                }
                let group = try file.openGroup(parent)
                try group.closeAfter { try group.write(array, to: name) }
            }
        }
    }

    static let weight = floats([0.5, -1, 2, 0.25, 3, -0.75], shape: [2, 3])
    static let bias = floats([0.1, -0.2])
    static let tau = HDF5Array(shape: [2], elements: .float64([0.02, 0.03]))
    static let r = floats([1, 1])
    static let vLeak = floats([0, 0])
    static let vThreshold = floats([1, 1.5])
    static let vReset = floats([0, -0.5])

    /// Input -> Affine -> LIF -> Output. The newer generation keeps the shapes in `input_type/input` and
    /// `output_type/output` and writes `v_reset`; the older writes `shape` and no `v_reset`.
    static func chain(newer: Bool, omitting: String? = nil) -> [(String, HDF5Array)] {
        let nodes = "/node/nodes"
        var datasets: [(String, HDF5Array)] = [
            ("/version", .scalar(newer ? "1.0.8" : "0.1.1")),
            ("/node/type", .scalar("NIRGraph")),
            ("/node/edges", edges([("input", "affine"), ("affine", "lif"), ("lif", "output")])),
            ("\(nodes)/input/type", .scalar("Input")),
            newer ? ("\(nodes)/input/input_type/input", integers([3])) : ("\(nodes)/input/shape", integers([3])),
            ("\(nodes)/affine/type", .scalar("Affine")),
            ("\(nodes)/affine/weight", weight),
            ("\(nodes)/affine/bias", bias),
            ("\(nodes)/lif/type", .scalar("LIF")),
            ("\(nodes)/lif/tau", tau),
            ("\(nodes)/lif/r", r),
            ("\(nodes)/lif/v_leak", vLeak),
            ("\(nodes)/lif/v_threshold", vThreshold),
            ("\(nodes)/output/type", .scalar("Output")),
            newer ? ("\(nodes)/output/output_type/output", integers([2])) : ("\(nodes)/output/shape", integers([2])),
        ]
        if newer { datasets.append(("\(nodes)/lif/v_reset", vReset)) }
        return datasets.filter { !$0.0.hasSuffix("/\(omitting ?? "\u{0}")") }
    }

    static func expectChain(_ graph: NIRGraph, version: String, vReset: HDF5Array?) {
        #expect(graph.version == version)
        #expect(graph.edges == [NIREdge("input", "affine"), NIREdge("affine", "lif"), NIREdge("lif", "output")])
        #expect(graph.nodes.count == 4)
        #expect(graph.nodes["input"]?.kind == .input(shape: integers([3])))
        #expect(graph.nodes["affine"]?.kind == .affine(weight: weight, bias: bias))
        #expect(graph.nodes["lif"]?.kind == .leakyIntegrateAndFire(tau: tau, r: r, vLeak: vLeak,
                                                                   vThreshold: vThreshold, vReset: vReset))
        #expect(graph.nodes["output"]?.kind == .output(shape: integers([2])))
    }

    @Test func theNewerFieldNamesReadBackAsWritten() throws {
        let path = Scratch.path("nir-newer", suffix: ".nir")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.write(Self.chain(newer: true), to: path)
        Self.expectChain(try NIRGraph.read(path: path), version: "1.0.8", vReset: Self.vReset)
    }

    @Test func theOlderFieldNamesReadBackAsWritten() throws {
        let path = Scratch.path("nir-older", suffix: ".nir")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.write(Self.chain(newer: false), to: path)
        Self.expectChain(try NIRGraph.read(path: path), version: "0.1.1", vReset: nil)
    }

    @Test func aNestedGraphAndTheConvolutionFieldsReadBackAsWritten() throws {
        let path = Scratch.path("nir-nested", suffix: ".nir")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sub = "/node/nodes/sub"
        let convolution = NIRConvolution(weight: Self.floats((0..<8).map(Float.init), shape: [2, 1, 2, 2]),
                                         bias: Self.floats([0, 1]), stride: Self.integers([1, 1]),
                                         padding: Self.integers([0, 0]), dilation: Self.integers([1, 1]), groups: 1,
                                         inputShape: Self.integers([4, 4]))
        try Self.write([
            ("/version", .scalar("0.2.0")),
            ("/node/type", .scalar("NIRGraph")),
            ("/node/edges", Self.edges([("input", "sub"), ("sub", "output")])),
            ("/node/nodes/input/type", .scalar("Input")),
            ("/node/nodes/input/shape", Self.integers([1, 4, 4])),
            ("/node/nodes/output/type", .scalar("Output")),
            ("/node/nodes/output/shape", Self.integers([18])),
            ("\(sub)/type", .scalar("NIRGraph")),
            ("\(sub)/edges", Self.edges([("conv", "flat")])),
            ("\(sub)/nodes/conv/type", .scalar("Conv2d")),
            ("\(sub)/nodes/conv/weight", convolution.weight),
            ("\(sub)/nodes/conv/bias", convolution.bias),
            ("\(sub)/nodes/conv/stride", convolution.stride),
            ("\(sub)/nodes/conv/padding", convolution.padding),
            ("\(sub)/nodes/conv/dilation", convolution.dilation),
            ("\(sub)/nodes/conv/groups", HDF5Array(shape: [], elements: .int64([1]))),
            ("\(sub)/nodes/conv/input_shape", convolution.inputShape!),
            ("\(sub)/nodes/flat/type", .scalar("Flatten")),
            ("\(sub)/nodes/flat/start_dim", HDF5Array(shape: [], elements: .int64([0]))),
            ("\(sub)/nodes/flat/end_dim", HDF5Array(shape: [], elements: .int64([-1]))),
            ("\(sub)/nodes/flat/input_type", Self.integers([2, 3, 3])),
        ], to: path)
        let graph = try NIRGraph.read(path: path)
        guard case .graph(let nested)? = graph.nodes["sub"]?.kind else {
            Issue.record("the node 'sub' is not a graph")
            return
        }
        #expect(nested.nodes["conv"]?.kind == .conv2d(convolution))
        #expect(nested.nodes["flat"]?.kind == .flatten(startDim: 0, endDim: -1, inputType: Self.integers([2, 3, 3])))
        #expect(nested.edges == [NIREdge("conv", "flat")])
        #expect(graph.nodes.count == 3)
    }

    /// Writes the newer chain with one change and returns the error reading it throws.
    static func refusal(_ prefix: String, _ datasets: [(String, HDF5Array)]) throws -> NIRError {
        let path = Scratch.path(prefix, suffix: ".nir")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try write(datasets, to: path)
        let error = try #require(throws: NIRError.self) { try NIRGraph.read(path: path) }
        #expect(error.file == path)
        #expect(!error.description.contains("\n"))
        #expect(error.description.contains(path))
        return error
    }

    @Test func anUnknownNodeTypeIsRefusedNamingTheNode() throws {
        let datasets = Self.chain(newer: true).map { entry in
            entry.0 == "/node/nodes/lif/type" ? (entry.0, HDF5Array.scalar("Izhikevich")) : entry
        }
        let error = try Self.refusal("nir-unknown-type", datasets)
        #expect(error.node == "lif")
        #expect(error.reason == "unknown node type 'Izhikevich'")
    }

    @Test func anEdgeToAMissingNodeIsRefusedNamingIt() throws {
        let datasets = Self.chain(newer: true).map { entry in
            entry.0 == "/node/edges" ? (entry.0, Self.edges([("input", "affine"), ("affine", "lif2")])) : entry
        }
        let error = try Self.refusal("nir-missing-node", datasets)
        #expect(error.node == "lif2")
        #expect(error.reason.contains("edge 1 (affine -> lif2)"))
    }

    @Test func aMissingParameterIsRefusedNamingTheNodeAndTheDataset() throws {
        let error = try Self.refusal("nir-missing-weight", Self.chain(newer: true, omitting: "weight"))
        #expect(error.node == "affine")
        #expect(error.reason == "missing dataset 'weight'")
        #expect(error.description.contains("node 'affine': missing dataset 'weight'"))
    }
}
