import Foundation
import NIR
import SNNTestSupport
import Testing

/// The typed HDF5 layer: what is written reads back equal, and every failure is a thrown error, never printed.
@Suite struct HDF5Tests {
    /// The layout of a NIR file in miniature, with every element type and rank 0 to 4.
    static let datasets: [(group: String, name: String, array: HDF5Array)] = [
        ("/", "version", .scalar("0.2.0")),
        ("/node", "type", .scalar("NIRGraph")),
        ("/node", "edges", HDF5Array(shape: [3, 2], elements: .string(["input", "0", "0", "1", "1", "output"]))),
        ("/node/nodes/0", "weight",
         HDF5Array(shape: [2, 3], elements: .float32([1, -2, 3.5, 0.25, -0, .greatestFiniteMagnitude]))),
        ("/node/nodes/0", "bias", HDF5Array(shape: [2], elements: .float64([0.1, -1e-300]))),
        ("/node/nodes/0", "conv", HDF5Array(shape: [2, 1, 2, 2], elements: .float64((0..<8).map { Double($0) / 3 }))),
        ("/node/nodes/1", "tau", HDF5Array(shape: [], elements: .float64([0.02]))),
        ("/node/nodes/1", "groups", HDF5Array(shape: [], elements: .int64([1]))),
        ("/node/nodes/1", "shape", HDF5Array(shape: [3], elements: .int64([16, -1, .max]))),
        ("/node/nodes/1", "empty", HDF5Array(shape: [0], elements: .float32([]))),
        ("/node/nodes/1", "ünïcode", HDF5Array(shape: [2], elements: .string(["Σ spikes", ""]))),
    ]

    static func writeMiniatureGraph(to path: String) throws {
        let file = try HDF5File.create(path)
        try file.closeAfter {
            try file.withRoot { root in
                let node = try root.createGroup("node")
                try node.closeAfter {
                    let nodes = try node.createGroup("nodes")
                    try nodes.closeAfter {
                        try nodes.createGroup("0").close()
                        try nodes.createGroup("1").close()
                    }
                }
            }
            for (group, name, array) in datasets {
                let target = try file.openGroup(group)
                try target.closeAfter { try target.write(array, to: name) }
            }
        }
    }

    @Test func groupsAndDatasetsOfEveryShapeAndTypeReadBackEqual() throws {
        let path = Scratch.path("hdf5-roundtrip", suffix: ".nir")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.writeMiniatureGraph(to: path)

        let file = try HDF5File.open(path)
        try file.closeAfter {
            try file.withRoot { root in
                #expect(try root.memberNames() == ["node", "version"])
                #expect(try root.kind(of: "node") == .group)
                #expect(try root.kind(of: "version") == .dataset)
                #expect(try root.contains("version"))
                #expect(!(try root.contains("metadata")))
                try root.withGroup("node/nodes") { nodes in
                    #expect(nodes.path == "/node/nodes")
                    let names = try nodes.memberNames()
                    #expect(names == ["0", "1"])
                }
            }
            for (group, name, array) in Self.datasets {
                let source = try file.openGroup(group)
                let read = try source.closeAfter { try source.read(name) }
                #expect(read == array, "\(group)/\(name)")
                #expect(read.shape == array.shape)
                #expect(read.elements.typeName == array.elements.typeName)
            }
        }
    }

    @Test func fixedLengthStringsReadBackAsTheyWereWritten() throws {
        let path = Scratch.path("hdf5-fixed-strings", suffix: ".h5")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let strings = HDF5Array(shape: [2, 2], elements: .string(["LIF", "Affine", "", "née"]))
        let file = try HDF5File.create(path)
        try file.closeAfter {
            try file.withRoot { root in
                try root.write(strings, to: "fixed", strings: .fixedLength)
                try root.write(.scalar("x"), to: "one", strings: .fixedLength)
            }
        }
        let reopened = try HDF5File.open(path)
        try reopened.closeAfter {
            try reopened.withRoot { root in
                let (fixed, one) = (try root.read("fixed"), try root.read("one"))
                #expect(fixed == strings)
                #expect(one == .scalar("x"))
            }
        }
    }

    @Test func aFileThatIsNotHDF5IsRefusedByNameWithNothingPrinted() throws {
        let path = Scratch.path("not-hdf5", suffix: ".nir")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "version = 0.2.0\n".write(toFile: path, atomically: true, encoding: .utf8)

        var thrown: HDF5Error?
        let printed = try capturingStandardError {
            do {
                _ = try HDF5File.open(path)
            } catch let error as HDF5Error {
                thrown = error
            }
        }
        let error = try #require(thrown)
        #expect(error.operation == "H5Fopen")
        #expect(error.file == path)
        #expect(error.description.contains(path))
        #expect(error.reason.contains("Not an HDF5 file"))
        #expect(!error.description.contains("\n"))
        // Other suites may write to stderr at the same time; HDF5's trace is recognisable by its banner.
        #expect(!printed.contains("HDF5-DIAG"))
        #expect(!printed.contains(path))
    }

    @Test func aMissingFileIsRefusedByName() throws {
        let path = Scratch.path("missing", suffix: ".nir")
        let error = try #require(throws: HDF5Error.self) { try HDF5File.open(path) }
        #expect(error.description.contains(path))
    }

    @Test func aMissingDatasetOrGroupIsRefusedByName() throws {
        let path = Scratch.path("hdf5-missing-member", suffix: ".nir")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.writeMiniatureGraph(to: path)
        let file = try HDF5File.open(path)
        try file.closeAfter {
            let nodes = try file.openGroup("/node/nodes")
            try nodes.closeAfter {
                let missing = try #require(throws: HDF5Error.self) { try nodes.read("0/v_reset") }
                #expect(missing.operation == "H5Dopen2")
                #expect(missing.object == "/node/nodes/0/v_reset")
                #expect(missing.description.contains("/node/nodes/0/v_reset"))
                #expect(missing.description.contains(path))
                let group = try #require(throws: HDF5Error.self) { try nodes.openGroup("2") }
                #expect(group.object == "/node/nodes/2")
            }
            let readOnly = try #require(throws: HDF5Error.self) {
                try file.withRoot { try $0.write(.scalar("1.0.8"), to: "written") }
            }
            #expect(readOnly.object == "/written")
        }
    }

    /// Runs `body` with file descriptor 2 sent to a scratch file, and returns what was written there. C's `stderr`
    /// is unbuffered, so nothing written during `body` is left behind in a buffer.
    private func capturingStandardError(_ body: () throws -> Void) throws -> String {
        let path = Scratch.path("stderr", suffix: ".txt")
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let capture = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        let saved = dup(STDERR_FILENO)
        dup2(capture.fileDescriptor, STDERR_FILENO)
        defer {
                dup2(saved, STDERR_FILENO)
            close(saved)
            try? capture.close()
        }
        try body()
        return try String(contentsOfFile: path, encoding: .utf8)
    }
}
