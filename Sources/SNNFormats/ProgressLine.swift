import Foundation

/// A progress line on stderr, only when stderr is a terminal (never in pipes, files or CI logs). Not `Progress`:
/// Foundation has one.
public final class ProgressLine: @unchecked Sendable {
    private let label: String
    private let lock = NSLock()
    private var lastPrinted = Date.distantPast

    private init(label: String) { self.label = label }

    public static func forTerminal(label: String) -> ProgressLine? {
        isatty(STDERR_FILENO) == 1 ? ProgressLine(label: label) : nil
    }

    public func update(_ done: Int, _ total: Int) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard done == total || now.timeIntervalSince(lastPrinted) > 0.2 else { return }
        lastPrinted = now
        FileHandle.standardError.write(Data("\r\(label): \(done)/\(total)   ".utf8))
    }

    public func message(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
    }

    public func finish() {
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
