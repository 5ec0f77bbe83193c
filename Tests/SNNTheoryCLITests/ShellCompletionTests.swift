import Foundation
import Testing

/// ArgumentParser's built-in completion scripts (`--generate-completion-script bash|zsh|fish`), checked for this tool.
@Suite struct ShellCompletionTests {
    static let subcommands = ["predict", "simulate", "compare", "validity", "phase", "advise", "init", "merge"]

    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScriptNamesEverySubcommandAndTheirOptions(shell: String) throws {
        let result = try SpawnedCLI.run(["--generate-completion-script", shell])
        #expect(result.status == 0, "\(result.stderr)")
        for name in Self.subcommands + ["resume", "shard", "npy", "target-rate"] {
            #expect(result.stdout.contains(name), "\(shell) script lacks \(name)")
        }
    }

    /// Sources the bash script and asks its completion function, as bash does on Tab.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/bin/bash")))
    func bashCompletesSubcommandsAndOptions() throws {
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("snn-completion-\(UUID().uuidString).bash")
        defer { try? FileManager.default.removeItem(at: script) }
        try SpawnedCLI.run(["--generate-completion-script", "bash"]).stdout.write(to: script, atomically: true, encoding: .utf8)
        func complete(_ words: [String]) throws -> [String] {
            let line = words.joined(separator: " ")
            let array = words.map { "'\($0)'" }.joined(separator: " ")
            let bash = try SpawnedCLI.run(["-c", """
                source '\(script.path)'
                COMP_WORDS=(\(array)); COMP_CWORD=\(words.count - 1); COMP_LINE='\(line)'; COMP_POINT=\(line.count)
                COMPREPLY=()
                _snn-theory snn-theory '\(words.last!)' '\(words[words.count - 2])'
                printf '%s\\n' "${COMPREPLY[@]}"
                """], executable: "/bin/bash")
            return bash.stdout.split(separator: "\n").map(String.init)
        }
        #expect(try complete(["snn-theory", "me"]) == ["merge"])
        #expect(try Set(complete(["snn-theory", ""])).isSuperset(of: Self.subcommands))
        #expect(try complete(["snn-theory", "compare", "--res"]).contains("--resume"))
        #expect(try complete(["snn-theory", "init", "--np"]) == ["--npy"])
    }
}
