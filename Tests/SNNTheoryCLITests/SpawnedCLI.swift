import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the executable with posix_spawn and reaps it with waitpid, for tests that start hundreds of processes or
/// kill them: Foundation's `Process` can miss a child's exit when many run at once (`waitUntilExit` then never
/// returns, seen with swift-corelibs-foundation 6.3 under the argument fuzz), and waitpid on our own pid cannot.
enum SpawnedCLI {
    struct Child {
        let pid: pid_t
    }

    struct Exit {
        /// The exit status, or the signal number when `signaled`.
        let status: Int32
        let signaled: Bool
        let timedOut: Bool
    }

    /// Starts the executable with stdin from /dev/null, stdout and stderr to the given files, in `directory`.
    static func start(_ arguments: [String], stdout: String, stderr: String = "/dev/null",
                      directory: String? = nil, executable: String = CLI.executable.path) throws -> Child {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        // Default dispositions and an empty mask for the signals the tests send, whatever the test runner set.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t(), defaults = sigset_t()
        sigemptyset(&empty)
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGPIPE, SIGCHLD] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        // A working directory through the shell (glibc's posix_spawn_file_actions_addchdir_np is not imported).
        let path = directory == nil ? executable : "/bin/sh"
        let words = directory.map { ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", $0, executable] } ?? [executable]
        let argv: [UnsafeMutablePointer<CChar>?] = (words + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        guard rc == 0 else { throw CocoaError(.fileReadUnknown, userInfo: ["posix_spawn": rc]) }
        return Child(pid: pid)
    }

    /// Waits for the child; after `timeout` seconds kills it (SIGKILL) and reports a time-out.
    static func wait(_ child: Child, timeout: TimeInterval) -> Exit {
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        var timedOut = false
        while true {
            let r = waitpid(child.pid, &status, WNOHANG)
            if r == child.pid { break }
            if r < 0 && errno != EINTR { return Exit(status: -1, signaled: false, timedOut: false) }
            if Date() > deadline {
                kill(child.pid, SIGKILL)
                while waitpid(child.pid, &status, 0) < 0 && errno == EINTR {}
                timedOut = true
                break
            }
            usleep(2000)
        }
        let signal = status & 0x7F
        return signal == 0 ? Exit(status: (status >> 8) & 0xFF, signaled: false, timedOut: timedOut)
            : Exit(status: signal, signaled: true, timedOut: timedOut)
    }

    /// Runs to the end (or the time-out) and returns what `CLI.run` returns.
    static func run(_ arguments: [String], timeout: TimeInterval = 60, directory: String? = nil,
                    executable: String = CLI.executable.path) throws -> CLIResult {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("snn-spawn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path, err = dir.appendingPathComponent("err").path
        let exit = wait(try start(arguments, stdout: out, stderr: err, directory: directory, executable: executable),
                        timeout: timeout)
        var stderr = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        if exit.timedOut { stderr += "timed out after \(timeout) s" }
        return CLIResult(status: exit.timedOut ? -1 : exit.status, terminatedBySignal: exit.signaled || exit.timedOut,
                         stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "", stderr: stderr)
    }
}
