import Foundation

extension NumPyFile {
    /// Why a file could not be read, in words for a one-line message.
    public struct ReadFailure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Reads a .npy file (versions 1-3) holding little-endian float32, float64 or integer values in C order, as
    /// Float32 values and the shape. Anything else (Fortran order, big-endian, objects, a truncated file) is refused
    /// with a `ReadFailure` saying what the file holds and what is read.
    public static func read(path: String) throws(ReadFailure) -> (values: [Float], shape: [Int]) {
        let fail = { (why: String) in ReadFailure(description: "'\(path)' \(why)") }
        guard let data = FileManager.default.contents(atPath: path) else { throw fail("cannot be read") }
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else {
            throw fail("is not a NumPy .npy file")
        }
        let major = bytes[6]
        let (lengthBytes, start): (Int, Int) = major == 1 ? (2, 10) : (4, 12)
        guard [1, 2, 3].contains(major), bytes.count >= start else { throw fail("has .npy version \(major), not 1-3") }
        let headerLength = (0..<lengthBytes).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
        guard bytes.count >= start + headerLength else { throw fail("is truncated inside its header") }
        let header = String(decoding: bytes[start..<(start + headerLength)], as: UTF8.self)
        func field(_ key: String) -> String? {
            guard let range = header.range(of: "'\(key)':") else { return nil }
            let rest = header[range.upperBound...].drop { $0 == " " }
            if rest.first == "(" { return rest.firstIndex(of: ")").map { String(rest[rest.startIndex...$0]) } }
            return rest.firstIndex { $0 == "," || $0 == "}" }.map { String(rest[..<$0]).trimmingCharacters(in: .whitespaces) }
        }
        guard let descr = field("descr")?.trimmingCharacters(in: CharacterSet(charactersIn: "'\"")),
              let order = field("fortran_order"), let shapeText = field("shape") else {
            throw fail("has a header without descr, fortran_order and shape")
        }
        guard order == "False" else { throw fail("is in Fortran order; C order is read") }
        let dims = shapeText.dropFirst().dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let shape = try dims.map { (text: String) throws(ReadFailure) -> Int in
            guard let value = Int(text), value >= 0 else { throw fail("has the shape \(shapeText)") }
            return value
        }
        let count = shape.reduce(1, *)
        let width: Int
        switch descr {
        case "<f4", "<i4", "<u4": width = 4
        case "<f8", "<i8", "<u8": width = 8
        case "|u1", "|i1", "|b1": width = 1
        case "<f2", "<i2", "<u2": width = 2
        default: throw fail("holds '\(descr)' values; little-endian floats or integers are read")
        }
        let offset = start + headerLength
        guard bytes.count >= offset + width * count else {
            throw fail("is truncated: \(count) values of \(width) bytes need \(offset + width * count) bytes, it has \(bytes.count)")
        }
        var values = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress! + offset
            for i in 0..<count {
                let p = base + i * width
                values[i] = switch descr {
                case "<f4": Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)))
                case "<f8": Float(Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))))
                case "<f2": Float(Float16(bitPattern: UInt16(littleEndian: p.loadUnaligned(as: UInt16.self))))
                case "<i4": Float(Int32(littleEndian: p.loadUnaligned(as: Int32.self)))
                case "<u4": Float(UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)))
                case "<i8": Float(Int64(littleEndian: p.loadUnaligned(as: Int64.self)))
                case "<u8": Float(UInt64(littleEndian: p.loadUnaligned(as: UInt64.self)))
                case "<i2": Float(Int16(littleEndian: p.loadUnaligned(as: Int16.self)))
                case "<u2": Float(UInt16(littleEndian: p.loadUnaligned(as: UInt16.self)))
                case "|i1": Float(Int8(bitPattern: p.load(as: UInt8.self)))
                default: Float(p.load(as: UInt8.self))
                }
            }
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw fail("holds \(values[bad]) at element \(bad); the values must be finite")
        }
        return (values, shape)
    }
}
