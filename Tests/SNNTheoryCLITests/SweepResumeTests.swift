import Foundation
import SNNSupport
import Testing

/// Sweeps that survive: `compare --resume`, `--shard` and `merge`, checked end to end against one uninterrupted run.
@Suite struct SweepResumeTests {
    /// 12 cells of about 0.1 s each (debug build, one thread): long enough to be killed in the middle.
    static let sweep = ["compare", "--widths", "100,150,200", "--thetas", "0.5,1", "--betas", "0.5,0.9", "--depth", "10",
                        "--networks", "40", "--threads", "1", "--seed", "7", "--quiet"]
    static let cellCount = 12

    static func temporaryFile(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("snn-\(name)-\(UUID().uuidString).jsonl").path
    }

    static func lines(_ path: String) -> [Substring] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n")
    }

    /// (width, theta, beta, init) of every whole line, for checking that no cell is missing or twice.
    static func cellKeys(_ path: String) throws -> [String] {
        try lines(path).map { line in
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return "\(o["width"]!) \(o["theta"]!) \(o["beta"]!) \(o["init"]!)"
        }
    }

    @Test func sigkillAtRandomMomentsThenResumeEqualsUninterruptedRunByteForByte() throws {
        let began = Date()
        let reference = try SpawnedCLI.run(Self.sweep + ["--format", "json"], timeout: 120)
        let duration = Date().timeIntervalSince(began)
        #expect(reference.status == 0, "\(reference.stderr)")
        let path = Self.temporaryFile("kill"), scratch = Self.temporaryFile("stdout")
        defer { for p in [path, scratch] { try? FileManager.default.removeItem(atPath: p) } }
        // Three kills, each at a moment drawn (fixed seed) from the run's length, each followed by a resume.
        var generator = SplitMix64(state: 2024)
        var finishedAtKill: [Int] = []
        for _ in 0..<3 {
            let child = try SpawnedCLI.start(Self.sweep + ["--format", "json", "--resume", path], stdout: scratch)
            usleep(UInt32(1e6 * duration * (0.1 + 0.5 * generator.nextUnitDouble())))
            kill(child.pid, SIGKILL)
            let exit = SpawnedCLI.wait(child, timeout: 120)
            #expect((exit.signaled && exit.status == SIGKILL) || (!exit.signaled && exit.status == 0))
            finishedAtKill.append(Self.lines(path).count)
        }
        // The kills landed inside the sweep, and at least one left a partial file (else the final run would not
        // resume anything and this test would check nothing).
        #expect(finishedAtKill.first! < Self.cellCount, "cells finished at each kill: \(finishedAtKill)")
        #expect(finishedAtKill.contains { $0 > 0 && $0 < Self.cellCount }, "cells at each kill: \(finishedAtKill)")
        let resumed = try SpawnedCLI.run(Self.sweep + ["--format", "json", "--resume", path], timeout: 120)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout == reference.stdout)
        let keys = try Self.cellKeys(path)
        #expect(keys.count == Self.cellCount)
        #expect(Set(keys).count == Self.cellCount)
    }

    @Test func sigintPrintsFinishedCellsAndResumeCompletesTheSameResult() throws {
        let reference = try SpawnedCLI.run(Self.sweep + ["--format", "csv"], timeout: 120)
        #expect(reference.status == 0)
        let path = Self.temporaryFile("int"), scratch = Self.temporaryFile("stdout")
        defer { for p in [path, scratch] { try? FileManager.default.removeItem(atPath: p) } }
        let child = try SpawnedCLI.start(Self.sweep + ["--format", "csv", "--resume", path], stdout: scratch)
        let deadline = Date().addingTimeInterval(60)
        while Self.lines(path).count < 2 && Date() < deadline { usleep(5000) }
        kill(child.pid, SIGINT)
        let exit = SpawnedCLI.wait(child, timeout: 120)
        #expect(!exit.signaled)
        let finished = Self.lines(path).count
        // A clean exit only if the sweep had finished before the signal arrived; with cells left, the SIGINT path ran.
        #expect(exit.status == 130 || (exit.status == 0 && finished == Self.cellCount), "exit \(exit.status)")
        if exit.status == 130 {
            // The printed rows are the cells the file holds: 10 layers per cell, after the two header lines.
            let printed = try String(contentsOfFile: scratch, encoding: .utf8).split(separator: "\n")
            #expect(printed.count == 2 + 10 * finished)
        }
        let resumed = try SpawnedCLI.run(Self.sweep + ["--format", "csv", "--resume", path], timeout: 120)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout == reference.stdout)
        #expect(try Set(Self.cellKeys(path)).count == Self.cellCount)
        #expect(Self.lines(path).count == Self.cellCount)
    }

    /// A kill in the middle of a write leaves a last line without its newline: resume drops it, warns, and ends
    /// with the file and output of an uninterrupted run.
    @Test func truncatedLastLineIsDroppedWithAWarningAndRunAgain() throws {
        let small = ["compare", "--widths", "40,50", "--thetas", "1", "--depth", "3", "--networks", "4", "--format", "json"]
        let path = Self.temporaryFile("trunc")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reference = try SpawnedCLI.run(small + ["--output", path])
        #expect(reference.status == 0)
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        try whole.dropLast(40).write(to: URL(fileURLWithPath: path))
        let resumed = try SpawnedCLI.run(small + ["--resume", path])
        #expect(resumed.status == 0)
        #expect(resumed.stderr.contains("cut short"))
        #expect(resumed.stdout == reference.stdout)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == whole)
    }

    @Test func twoShardsMergedEqualTheUnshardedRunInEveryFormat() throws {
        let sweep = ["compare", "--widths", "40,50,60", "--thetas", "0.5,1", "--inits", "paper,kaiming", "--depth", "4",
                     "--networks", "5", "--quiet"]
        let first = Self.temporaryFile("shard1"), second = Self.temporaryFile("shard2")
        defer { for p in [first, second] { try? FileManager.default.removeItem(atPath: p) } }
        #expect(try SpawnedCLI.run(sweep + ["--shard", "1/2", "--output", first]).status == 0)
        #expect(try SpawnedCLI.run(sweep + ["--shard", "2/2", "--resume", second]).status == 0)
        #expect(Self.lines(first).count == 6 && Self.lines(second).count == 6)
        for format in ["table", "csv", "json"] {
            let whole = try SpawnedCLI.run(sweep + ["--format", format])
            let merged = try SpawnedCLI.run(["merge", second, first, "--format", format])
            #expect(merged.status == 0, "\(merged.stderr)")
            #expect(merged.stdout == whole.stdout, "format \(format)")
        }
        let partial = try SpawnedCLI.run(["merge", first])
        #expect(partial.status == 64 && partial.stderr.contains("6 of 12 cells are missing"))
        let twice = try SpawnedCLI.run(["merge", first, first])
        #expect(twice.status == 64 && twice.stderr.contains("merge each shard once"))
    }

    /// Seeds come from the cell, not its position: a cell computed in a smaller sweep is the same record.
    @Test func cellResultDependsOnlyOnTheCellAndTheSettings() throws {
        let common = ["compare", "--thetas", "1", "--depth", "4", "--networks", "6", "--seed", "3", "--format", "json"]
        let both = try SpawnedCLI.run(common + ["--widths", "40,60"]).json?["cells"] as? [[String: Any]]
        let one = try SpawnedCLI.run(common + ["--widths", "60"]).json?["cells"] as? [[String: Any]]
        let a = try #require(both?.last), b = try #require(one?.first)
        #expect(NSDictionary(dictionary: a).isEqual(to: b))
    }

    @Test func resumeRefusesOtherSettingsAndDamagedLinesInOneLine() throws {
        let small = ["compare", "--widths", "40", "--thetas", "1,2", "--depth", "3", "--networks", "4"]
        let path = Self.temporaryFile("refuse")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try SpawnedCLI.run(small + ["--output", path]).status == 0)
        let other = try SpawnedCLI.run(Array(small.dropLast()) + ["5", "--resume", path])
        #expect(other.status == 64)
        #expect(other.stderr.split(separator: "\n").count == 1 && other.stderr.contains("networks"))
        let again = try SpawnedCLI.run(small + ["--output", path])
        #expect(again.status == 64 && again.stderr.contains("--resume"))
        let text = try String(contentsOfFile: path, encoding: .utf8)
        // 30 bytes lost from the middle of the first line.
        let cut = text.index(text.startIndex, offsetBy: 400)
        try (String(text[..<cut]) + String(text[text.index(cut, offsetBy: 30)...])).write(
            toFile: path, atomically: true, encoding: .utf8)
        let damaged = try SpawnedCLI.run(small + ["--resume", path])
        #expect(damaged.status == 64)
        #expect(damaged.stderr.split(separator: "\n").count == 1 && damaged.stderr.contains("line 1"))
        try (text + text).write(toFile: path, atomically: true, encoding: .utf8)
        let duplicated = try SpawnedCLI.run(small + ["--resume", path])
        #expect(duplicated.status == 64 && duplicated.stderr.contains("twice"))
    }

    @Test func aSecondWriterOfTheSameFileIsRefused() throws {
        let path = Self.temporaryFile("lock"), scratch = Self.temporaryFile("stdout")
        defer { for p in [path, scratch] { try? FileManager.default.removeItem(atPath: p) } }
        // A sweep of minutes (100x the networks), killed at the end: certainly still running when the second starts.
        var long = Self.sweep
        long[long.firstIndex(of: "--networks")! + 1] = "4000"
        let child = try SpawnedCLI.start(long + ["--resume", path], stdout: scratch)
        defer {
            kill(child.pid, SIGKILL)
            _ = SpawnedCLI.wait(child, timeout: 60)
        }
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: path) && Date() < deadline { usleep(2000) }
        usleep(100_000)
        try #require(kill(child.pid, 0) == 0 && Self.lines(path).count < Self.cellCount, "the first writer ended early")
        let second = try SpawnedCLI.run(long + ["--resume", path])
        #expect(second.status == 64)
        #expect(second.stderr.contains("another snn-theory process"))
    }

    @Test func quietPrintsNothingOnStderrAndVerboseOneLinePerCell() throws {
        let small = ["compare", "--widths", "40,50", "--thetas", "1", "--depth", "3", "--networks", "4"]
        let quiet = try SpawnedCLI.run(small + ["--quiet"])
        #expect(quiet.status == 0 && quiet.stderr.isEmpty)
        let verbose = try SpawnedCLI.run(small + ["--verbose"])
        #expect(verbose.status == 0)
        #expect(verbose.stderr.split(separator: "\n").filter { $0.contains("cell ") && $0.contains("/2 (") }.count == 2)
        #expect(verbose.stdout == quiet.stdout)
        let both = try SpawnedCLI.run(small + ["--quiet", "--verbose"])
        #expect(both.status == 64 && both.stderr.contains("quiet"))
    }
}

/// Long `simulate` runs stream each finished network (`--output`) and continue after a kill (`--resume`).
@Suite struct SimulateResumeTests {
    static let run = ["simulate", "--depth", "20", "--width", "300", "--steps", "3", "--networks", "24",
                      "--threads", "1", "--seed", "11", "--format", "json"]

    /// A last line cut short (a kill mid-write) is dropped with a one-line warning naming the bytes, and that network
    /// runs again: the result equals the uninterrupted run's.
    @Test func aCutOffLastNetworkIsDroppedWithAWarning() throws {
        let small = ["simulate", "--depth", "3", "--width", "64", "--networks", "4", "--seed", "5", "--format", "json"]
        let path = SweepResumeTests.temporaryFile("sim-cut")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let whole = try SpawnedCLI.run(small + ["--output", path])
        #expect(whole.status == 0, "\(whole.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        #expect(lines.count == 5)  // four networks and the empty remainder after the last newline
        // Keep two whole lines and 100 bytes of the third.
        let cut = lines[0].count + lines[1].count + 2 + 100
        try data.prefix(cut).write(to: URL(fileURLWithPath: path))
        let resumed = try SpawnedCLI.run(small + ["--resume", path])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("warning: dropped a last line cut short (100 bytes)"), "\(resumed.stderr)")
        #expect(resumed.stdout == whole.stdout)
        #expect(SweepResumeTests.lines(path).count == 4)
    }

    @Test func sigkillAtRandomMomentsThenResumeEqualsUninterruptedRunByteForByte() throws {
        let began = Date()
        let reference = try SpawnedCLI.run(Self.run, timeout: 120)
        let duration = Date().timeIntervalSince(began)
        #expect(reference.status == 0, "\(reference.stderr)")
        let path = SweepResumeTests.temporaryFile("sim-kill"), scratch = SweepResumeTests.temporaryFile("stdout")
        defer { for p in [path, scratch] { try? FileManager.default.removeItem(atPath: p) } }
        var generator = SplitMix64(state: 99)
        var finishedAtKill: [Int] = []
        for _ in 0..<3 {
            let child = try SpawnedCLI.start(Self.run + ["--resume", path], stdout: scratch)
            usleep(UInt32(1e6 * duration * (0.1 + 0.5 * generator.nextUnitDouble())))
            kill(child.pid, SIGKILL)
            let exit = SpawnedCLI.wait(child, timeout: 120)
            #expect((exit.signaled && exit.status == SIGKILL) || (!exit.signaled && exit.status == 0))
            finishedAtKill.append(SweepResumeTests.lines(path).count)
        }
        #expect(finishedAtKill.first! < 24, "networks finished at each kill: \(finishedAtKill)")
        #expect(finishedAtKill.contains { $0 > 0 && $0 < 24 }, "networks finished at each kill: \(finishedAtKill)")
        let resumed = try SpawnedCLI.run(Self.run + ["--resume", path], timeout: 120)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout == reference.stdout)
        let networks = try SweepResumeTests.lines(path).map { line in
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return try #require(o["network"] as? Int)
        }
        #expect(networks.sorted() == Array(0..<24))
    }

    /// Scales solved on the sampler are solved again on --resume (the solver is deterministic) and the run completes
    /// to the uninterrupted result; a file from another number of solver networks is refused (its init differs).
    @Test func samplerSolvedRunsResumeToTheSameResult() throws {
        let solved = ["simulate", "--method", "reduced", "--depth", "4", "--width", "200", "--steps", "6", "--beta", "0.5",
                      "--target-rate", "0.1", "--solve-on", "sampler", "--solver-networks", "12", "--networks", "6",
                      "--format", "json"]
        let reference = try SpawnedCLI.run(solved, timeout: 120)
        #expect(reference.status == 0, "\(reference.stderr)")
        let path = SweepResumeTests.temporaryFile("sim-solved")
        defer { try? FileManager.default.removeItem(atPath: path) }
        // A full run's file cut to its first three networks, as a kill would leave it.
        #expect(try SpawnedCLI.run(solved + ["--output", path]).status == 0)
        let lines = SweepResumeTests.lines(path)
        #expect(lines.count == 6)
        try (lines.prefix(3).joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let resumed = try SpawnedCLI.run(solved + ["--resume", path], timeout: 120)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout == reference.stdout)
        let other = try SpawnedCLI.run(solved.map { $0 == "12" ? "13" : $0 } + ["--resume", path], timeout: 120)
        #expect(other.status == 64 && other.stderr.contains("resume"), "\(other.stderr)")
    }

    /// A file from other options, an edited line and an existing file for --output are refused in one line.
    @Test func foreignDamagedAndExistingFilesAreRefused() throws {
        let small = ["simulate", "--depth", "3", "--width", "40", "--networks", "4", "--threads", "1"]
        let path = SweepResumeTests.temporaryFile("sim-files")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try SpawnedCLI.run(small + ["--output", path]).status == 0)
        #expect(SweepResumeTests.lines(path).count == 4)
        let existing = try SpawnedCLI.run(small + ["--output", path])
        #expect(existing.status == 64 && existing.stderr.contains("output"))
        let foreign = try SpawnedCLI.run(small + ["--seed", "2", "--resume", path])
        #expect(foreign.status == 64 && foreign.stderr.contains("resume") && foreign.stderr.contains("line 1"))
        var text = try String(contentsOfFile: path, encoding: .utf8)
        let index = try #require(text.range(of: "\"rate\":[")).upperBound
        text.insert("9", at: index)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let damaged = try SpawnedCLI.run(small + ["--resume", path])
        #expect(damaged.status == 64 && damaged.stderr.contains("resume"), "\(damaged.stderr)")
        #expect(damaged.stderr.split(separator: "\n").count == 1)
    }
}
