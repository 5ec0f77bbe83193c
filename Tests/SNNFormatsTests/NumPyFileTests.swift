import Foundation
import SNNFormats
import SNNTestSupport
import Testing

/// The .npy format, version 1.0 (numpy.lib.format): the magic string "\x93NUMPY", the bytes 1 0, the header length
/// as a little-endian unsigned short, then an ASCII Python dict literal ended by a newline and padded with spaces so
/// that magic, version, length and header together are a multiple of 64 bytes; the data follows in C order.
@Suite struct NumPyFileTests {
    static func dict(_ header: [UInt8]) -> String {
        String(decoding: header[10...], as: UTF8.self)
    }

    @Test func headerLayoutFollowsVersion1() {
        for shape in [[3, 4], [5], [2, 3, 4, 5], [1_000_000, 784]] {
            let header = NumPyFile.header(shape: shape)
            #expect(Array(header[0..<6]) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59])
            #expect(header[6] == 1 && header[7] == 0)
            let length = Int(header[8]) | Int(header[9]) << 8
            #expect(length == header.count - 10)
            #expect(header.count % 64 == 0)
            let dict = Self.dict(header)
            #expect(dict.last == "\n")
            let ascii = dict.utf8.allSatisfy { $0 < 0x80 }
            #expect(ascii)
            let literal = dict.dropLast().reversed().drop { $0 == " " }
            #expect(String(literal.reversed()).hasSuffix("}"))
            // Padding is spaces only, and less than one alignment block.
            #expect(dict.count - 1 - literal.count < 64)
        }
        #expect(Self.dict(NumPyFile.header(shape: [3, 4])).hasPrefix(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }"))
        // A one-element tuple needs its comma in Python.
        #expect(Self.dict(NumPyFile.header(shape: [5])).contains("'shape': (5,)"))
    }

    @Test func writtenFileIsTheHeaderThenLittleEndianFloats() throws {
        let dir = URL(fileURLWithPath: try Scratch.directory("npy"))
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("w.npy")
        let values: [Float] = [1, -2, 0.5, .pi, -0.0, .leastNonzeroMagnitude]
        try NumPyFile.write(values, shape: [2, 3], to: url)
        let bytes = [UInt8](try Data(contentsOf: url))
        let header = NumPyFile.header(shape: [2, 3])
        #expect(bytes.count == NumPyFile.byteCount(shape: [2, 3]))
        #expect(bytes.count == header.count + 24)
        #expect(Array(bytes[..<header.count]) == header)
        let data = Array(bytes[header.count...])
        // 1.0f is 0x3F800000: least significant byte first.
        #expect(Array(data[0..<4]) == [0x00, 0x00, 0x80, 0x3F])
        let read = (0..<values.count).map { i in
            Float(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(data[4 * i + $1]) << (8 * $1) })
        }
        #expect(read.map(\.bitPattern) == values.map(\.bitPattern))
        // The temporary file was renamed into place.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["w.npy"])
    }

    @Test func aFileThatCannotBeWrittenIsReported() {
        let url = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)/w.npy")
        let failure = #expect(throws: NumPyFile.WriteFailure.self) { try NumPyFile.write([1], shape: [1], to: url) }
        #expect(failure?.description.hasPrefix("cannot write '/nonexistent-") == true)
    }
}
