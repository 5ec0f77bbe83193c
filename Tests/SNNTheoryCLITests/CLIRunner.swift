import Foundation

/// Runs the built `snn-theory` executable and captures its output, with a time limit so a hang fails the test.
struct CLIResult {
    let status: Int32
    let terminatedBySignal: Bool
    let stdout: String
    let stderr: String

    var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any]
    }
}

enum CLI {
    /// The executable built beside this test bundle.
    static let executable: URL = {
        var dir = Bundle.main.bundleURL
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("snn-theory")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/snn-theory")
    }()

    static func run(_ arguments: [String], timeout: TimeInterval = 60) throws -> CLIResult {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        // Files, not pipes: a chatty child can never block on a full pipe while the test waits.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("snn-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let outURL = dir.appendingPathComponent("out"), errURL = dir.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(2000) }
        var timedOut = false
        if process.isRunning {
            timedOut = true
            process.terminate()
        }
        process.waitUntilExit()
        try out.close()
        try err.close()
        let stdout = String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self)
        var stderr = String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self)
        if timedOut { stderr += "timed out after \(timeout) s" }
        return CLIResult(status: timedOut ? -1 : process.terminationStatus,
                         terminatedBySignal: timedOut || process.terminationReason == .uncaughtSignal,
                         stdout: stdout, stderr: stderr)
    }
}
