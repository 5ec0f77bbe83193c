import Foundation

/// NumPy's .npy format, version 1.0, for Float32 arrays: the magic string "\x93NUMPY", the version bytes 1 0, a
/// little-endian UInt16 header length, a Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (...), }`
/// padded with spaces and ended by a newline so the data starts at a multiple of 64 bytes, then the values in C order,
/// little-endian. `numpy.load` reads it; so does anything that reads .npy (PyTorch through `torch.from_numpy`).
public enum NumPyFile {
    public static let alignment = 64

    /// Why a file could not be written, in words for a message.
    public struct WriteFailure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The header for a Float32 array of this shape (C order).
    public static func header(shape: [Int]) -> [UInt8] {
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(dims)), }"
        let unpadded = 10 + dict.utf8.count + 1
        dict += String(repeating: " ", count: (alignment - unpadded % alignment) % alignment) + "\n"
        let length = UInt16(dict.utf8.count)
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(dict.utf8)
    }

    /// The size of the file `write` makes.
    public static func byteCount(shape: [Int]) -> Int {
        header(shape: shape).count + 4 * shape.reduce(1, *)
    }

    /// Writes the array to a temporary file beside `url` and renames it into place, so `url` is either the
    /// previous file or the whole new one, never a partial write. Throws `WriteFailure`.
    public static func write(_ values: [Float], shape: [Int], to url: URL) throws(WriteFailure) {
        precondition(values.count == shape.reduce(1, *))
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: Data(header(shape: shape))),
              let handle = FileHandle(forWritingAtPath: temporary.path)
        else {
            throw WriteFailure(description: "cannot write '\(temporary.path)'")
        }
        do {
            handle.seekToEndOfFile()
            let chunk = 1 << 20
            var start = 0
            while start < values.count {
                let end = min(values.count, start + chunk)
                #if _endian(little)
                let bytes = values[start..<end].withUnsafeBufferPointer { Data(buffer: $0) }
                #else
                let bytes = values[start..<end].map { $0.bitPattern.littleEndian }.withUnsafeBufferPointer { Data(buffer: $0) }
                #endif
                try handle.write(contentsOf: bytes)
                start = end
            }
            try handle.synchronize()
            try handle.close()
            // rename(2) replaces an existing file atomically.
            guard rename(temporary.path, url.path) == 0 else {
                throw WriteFailure(description: "cannot rename '\(temporary.path)' to '\(url.path)': "
                    + String(cString: strerror(errno)))
            }
        } catch let failure as WriteFailure {
            try? FileManager.default.removeItem(at: temporary)
            throw failure
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw WriteFailure(description: "cannot write '\(url.path)': \(error.localizedDescription)")
        }
    }
}

/// Byte counts for messages: 3 significant figures in decimal units.
public enum ByteCount {
    public static func text(_ bytes: Double) -> String {
        let units = ["B", "KB", "MB", "GB", "TB", "PB", "EB", "ZB"]
        var value = bytes, unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(Int(bytes)) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}
