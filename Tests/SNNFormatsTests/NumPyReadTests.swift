import Foundation
import SNNFormats
import SNNTestSupport
import Testing

/// .npy files read back: what `NumPyFile.write` writes, and files NumPy itself wrote in other element types, when
/// the pinned Python environment is there; damaged files refused in one line.
@Suite struct NumPyReadTests {
    @Test func whatTheWriterWritesReadsBackBitForBit() throws {
        let path = Scratch.path("npy-roundtrip", suffix: ".npy")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let values: [Float] = (0..<24).map { Float($0) * 0.37 - 3 }
        try NumPyFile.write(values, shape: [2, 3, 4], to: URL(fileURLWithPath: path))
        let (read, shape) = try NumPyFile.read(path: path)
        #expect(shape == [2, 3, 4])
        #expect(read.map(\.bitPattern) == values.map(\.bitPattern))
    }

    @Test func numpysOwnFilesOfOtherTypesRead() throws {
        let dir = try Scratch.directory("npy-numpy")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        guard let python = Repository.nirPython else {
            Issue.record(Comment(rawValue: Repository.nirPythonMissing))
            return
        }
        let script = """
        import numpy as np, sys
        d = sys.argv[1]
        a = np.arange(12).reshape(3, 4)
        np.save(d + '/f8.npy', a * 0.5)
        np.save(d + '/i8.npy', a)
        np.save(d + '/u1.npy', a.astype(np.uint8))
        np.save(d + '/b1.npy', a % 2 == 0)
        np.save(d + '/scalar.npy', np.float32(2.5))
        np.save(d + '/fortran.npy', np.asfortranarray(a * 1.0))
        np.save(d + '/big.npy', (a * 1.0).astype('>f8'))
        """
        let made = try Subprocess.run(python, ["-c", script, dir])
        #expect(made.status == 0, "\(made.stderr)")
        let expected = (0..<12).map(Float.init)
        #expect(try NumPyFile.read(path: dir + "/f8.npy").values == expected.map { $0 * 0.5 })
        #expect(try NumPyFile.read(path: dir + "/i8.npy").values == expected)
        #expect(try NumPyFile.read(path: dir + "/u1.npy").shape == [3, 4])
        #expect(try NumPyFile.read(path: dir + "/b1.npy").values == expected.map { Int($0) % 2 == 0 ? 1 : 0 })
        let scalar = try NumPyFile.read(path: dir + "/scalar.npy")
        #expect(scalar.shape == [] && scalar.values == [2.5])
        for refused in ["fortran", "big"] {
            #expect(throws: NumPyFile.ReadFailure.self) { try NumPyFile.read(path: dir + "/\(refused).npy") }
        }
    }

    @Test func damagedFilesAreRefusedInOneLine() throws {
        let path = Scratch.path("npy-damaged", suffix: ".npy")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try NumPyFile.write([1, 2, 3, 4], shape: [4], to: URL(fileURLWithPath: path))
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        for damaged in [whole.prefix(whole.count - 3), whole.prefix(20), Data("text".utf8), Data()] {
            try damaged.write(to: URL(fileURLWithPath: path))
            let failure = try #require(throws: NumPyFile.ReadFailure.self) { try NumPyFile.read(path: path) }
            #expect(!failure.description.contains("\n") && failure.description.contains(path))
        }
    }
}
