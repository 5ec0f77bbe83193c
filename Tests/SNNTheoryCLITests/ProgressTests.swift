import Foundation
import Testing

/// Long runs show a progress line on a terminal and nothing of it in pipes, files or CI logs. The terminal is a
/// pseudo-terminal from util-linux's `script`, which records everything written to it.
@Suite struct ProgressTests {
    static let script = "/usr/bin/script"
    static let available = FileManager.default.isExecutableFile(atPath: script)

    /// What the command writes to a terminal (stdout and stderr together), with its exit status.
    func onTerminal(_ arguments: [String]) throws -> (String, SpawnedCLI.Exit) {
        let record = FileManager.default.temporaryDirectory.appendingPathComponent("tty-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: record) }
        let command = ([CLI.executable.path] + arguments).map { "'\($0)'" }.joined(separator: " ")
        let child = try SpawnedCLI.start(["-qec", command, "/dev/null"], stdout: record, executable: Self.script)
        let exit = SpawnedCLI.wait(child, timeout: 120)
        return (try String(contentsOfFile: record, encoding: .utf8), exit)
    }

    static let simulate = ["simulate", "--depth", "3", "--width", "100", "--networks", "12", "--format", "json"]
    static let solve = ["simulate", "--method", "reduced", "--depth", "4", "--width", "100", "--steps", "4",
                        "--target-rate", "0.1", "--solve-on", "sampler", "--solver-networks", "8", "--networks", "2",
                        "--format", "json"]

    @Test(.enabled(if: ProgressTests.available))
    func aTerminalShowsTheProgressOfNetworksAndSolvedLayers() throws {
        let (networks, first) = try onTerminal(Self.simulate)
        #expect(first.status == 0 && !first.signaled, "\(networks)")
        #expect(networks.contains("networks: 12/12"), "\(networks)")
        let (layers, second) = try onTerminal(Self.solve)
        #expect(second.status == 0 && !second.signaled, "\(layers)")
        #expect(layers.contains("solver layers: 4/4"), "\(layers)")
    }

    @Test func pipesGetNoProgressLine() throws {
        for arguments in [Self.simulate, Self.solve] {
            let result = try CLI.run(arguments)
            #expect(result.status == 0)
            #expect(!result.stderr.contains("\r") && !result.stderr.contains("/12") && !result.stderr.contains("layers:"),
                    "\(result.stderr)")
            #expect(result.json != nil)
        }
    }
}
