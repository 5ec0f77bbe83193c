import Foundation

/// The whole lines of a JSON Lines file: each non-blank line ended by a newline, with its 1-based number, and the
/// length of the bytes they span; a last line without its newline (a write cut short) is left out.
public struct JSONLines: Sendable {
    public let lines: [(number: Int, text: String)]
    /// The bytes up to the end of the last whole line.
    public let wholeLength: Int
    /// The bytes of a last line without its newline (a write cut short by a kill or a full disk); 0 if none.
    public let truncatedLength: Int

    public init(_ data: Data) {
        let bytes = [UInt8](data)
        var lines: [(number: Int, text: String)] = []
        var start = 0, number = 0
        while let end = bytes[start...].firstIndex(of: 0x0A) {
            number += 1
            let text = String(decoding: bytes[start..<end], as: UTF8.self)
            start = end + 1
            if !text.allSatisfy(\.isWhitespace) { lines.append((number, text)) }
        }
        self.lines = lines
        wholeLength = start
        truncatedLength = bytes.count - start
    }
}

/// A JSON Lines file open for appending and locked (flock) against a second writer for as long as the process
/// lives. Each line is written with one write call and fsynced; a write that fails part-way is cut back, so the file
/// only ever holds whole lines (a kill can still cut the last one short: `JSONLines` sets it aside, `truncate` drops
/// it).
public final class JSONLinesFile: @unchecked Sendable {
    /// What failed, on which file, and the system's reason (strerror; empty for `locked`).
    public struct Failure: Error, CustomStringConvertible {
        public enum Operation: Sendable {
            case open, locked, read, truncate, write
        }

        public let operation: Operation
        public let path: String
        public let reason: String

        public var description: String {
            switch operation {
            case .open: "cannot open '\(path)': \(reason)"
            case .locked: "'\(path)' is locked by another writer"
            case .read: "cannot read '\(path)': \(reason)"
            case .truncate: "cannot truncate '\(path)': \(reason)"
            case .write: "cannot write to '\(path)': \(reason)"
            }
        }
    }

    public let path: String
    private let descriptor: Int32
    private var length: off_t

    /// Opens `path`, created if missing, and takes the lock (`Failure.locked` while another process holds it).
    public init(path: String) throws(Failure) {
        let fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(operation: .open, path: path, reason: String(cString: strerror(errno))) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0, errno == EWOULDBLOCK {
            close(fd)
            throw Failure(operation: .locked, path: path, reason: "")
        }
        self.path = path
        descriptor = fd
        length = lseek(fd, 0, SEEK_END)
    }

    deinit { close(descriptor) }

    public var isEmpty: Bool { length == 0 }

    public func contents() throws(Failure) -> Data {
        var data = Data(count: Int(length))
        let read = data.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, Int(length), 0) }
        guard read == Int(length) else { throw failure(.read) }
        return data
    }

    /// Cuts the file to its first `bytes` bytes (dropping a truncated last line).
    public func truncate(to bytes: Int) throws(Failure) {
        guard ftruncate(descriptor, off_t(bytes)) == 0 else { throw failure(.truncate) }
        length = off_t(bytes)
    }

    /// Appends `line` and a newline, and fsyncs.
    public func append(_ line: String) throws(Failure) {
        let bytes = Array((line + "\n").utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                // The reason before ftruncate can overwrite errno.
                let failure = self.failure(.write)
                _ = ftruncate(descriptor, length)
                throw failure
            }
            written += n
        }
        _ = fsync(descriptor)
        length += off_t(bytes.count)
    }

    private func failure(_ operation: Failure.Operation) -> Failure {
        Failure(operation: operation, path: path, reason: String(cString: strerror(errno)))
    }
}
