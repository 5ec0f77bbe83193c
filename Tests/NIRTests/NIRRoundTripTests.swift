import Foundation
import NIR
import SNNTestSupport
import Testing

/// Every fixture the pinned `nir` package wrote, and the two files Sinabs and Norse wrote, read with every shape
/// inferred; read and written again, each is the same graph to `nir.read`, and what the reader does not interpret
/// (fields, attributes, stored types, compression) comes back unchanged.
@Suite struct NIRRoundTripTests {
    static let files = Repository.validNIRFiles

    @Test func theFixturesAreThere() {
        #expect(Self.files.count >= 12, "\(Self.files)")
        #expect(Self.files.contains { $0.hasSuffix("real/cnn_sinabs.nir") })
        #expect(Self.files.contains { $0.hasSuffix("real/lif_norse.nir") })
    }

    @Test(arguments: files)
    func everyNodeGetsAShapeAlongTheEdges(file: String) throws {
        let graph = try NIRGraph.read(path: file)
        let structure = try graph.structure(file: file)
        #expect(Set(structure.order) == Set(graph.nodes.keys))
        for name in structure.order {
            #expect(structure.outputShapes[name] != nil, "\(name) in \(file)")
        }
    }

    @Test(arguments: files)
    func aGraphReadAndWrittenAgainIsTheSameGraphToNIR(file: String) throws {
        let written = Scratch.path("nir-roundtrip", suffix: ".nir")
        defer { try? FileManager.default.removeItem(atPath: written) }
        let graph = try NIRGraph.read(path: file)
        try graph.write(to: written)
        let again = try NIRGraph.read(path: written)
        // Compared as a Bool: a failure would otherwise print every weight of both graphs.
        let same = again == graph
        #expect(same, "the graph read back differs from the one written")
        for (name, node) in graph.nodes {
            for ((field, stored), (_, reread)) in zip(node.kind.parameters, again.nodes[name]!.kind.parameters) {
                #expect(stored.storage == reread.storage, "\(name).\(field)")
            }
        }
        guard let result = try Subprocess.nirScript("same_graph.py", [file, written]) else {
            Issue.record(Comment(rawValue: Repository.nirPythonMissing))
            return
        }
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }

    @Test func aFieldNoNIRVersionWritesIsKeptAndWrittenBack() throws {
        let file = Repository.path("Tests/Fixtures/nir/kept/unknown_field.nir")
        let written = Scratch.path("nir-kept", suffix: ".nir")
        defer { try? FileManager.default.removeItem(atPath: written) }
        let graph = try NIRGraph.read(path: file)
        guard case .dataset(let beta)? = graph.nodes["lif"]?.extras.members["beta"] else {
            Issue.record("the LIF's extra dataset 'beta' was not kept")
            return
        }
        #expect(beta.doubles?.map { Float($0) } == [0.9, 0.9, 0.9])
        try graph.write(to: written)
        let again = try NIRGraph.read(path: written)
        #expect(again.nodes["lif"]?.extras == graph.nodes["lif"]?.extras)
        let same = again == graph
        #expect(same)
    }

    @Test func attributesOnGroupsAndDatasetsAreReadAndWrittenBack() throws {
        let path = Scratch.path("hdf5-attributes", suffix: ".h5")
        let copy = Scratch.path("hdf5-attributes-copy", suffix: ".h5")
        defer {
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: copy)
        }
        var weight = HDF5Array(shape: [2, 2], elements: .float64([1, 2, 3, 4]))
        weight.storage = HDF5Storage(fileType: .float(bytes: 8), gzipLevel: 6,
                                     attributes: ["unit": .scalar("mV"),
                                                  "scale": HDF5Array(shape: [2], elements: .int64([3, -4]))])
        let stride = HDF5Array(shape: [2], elements: .int64([1, 2]),
                               storage: HDF5Storage(fileType: .integer(bytes: 4, signed: true)))
        let tree = HDF5Tree(attributes: ["writer": .scalar("test"), "dt": HDF5Array(shape: [], elements: .float32([1e-4]))],
                            members: ["weight": .dataset(weight), "stride": .dataset(stride),
                                      "meta": .group(HDF5Tree(attributes: ["n": HDF5Array(shape: [], elements: .int64([7]))]))])
        for (source, target) in [(nil, path), (path, copy)] {
            let written: HDF5Tree
            if let source {
                let file = try HDF5File.open(source)
                written = try file.closeAfter { try file.withRoot { try $0.readTree() } }
            } else {
                written = tree
            }
            let file = try HDF5File.create(target)
            try file.closeAfter { try file.withRoot { try $0.writeTree(written) } }
        }
        let file = try HDF5File.open(copy)
        let read = try file.closeAfter { try file.withRoot { try $0.readTree() } }
        let same = read == tree
        #expect(same)
        guard case .dataset(let readWeight)? = read.members["weight"], case .dataset(let readStride)? = read.members["stride"] else {
            Issue.record("datasets missing")
            return
        }
        #expect(readWeight.storage == weight.storage)
        #expect(readStride.storage.fileType == .integer(bytes: 4, signed: true))
    }
}
