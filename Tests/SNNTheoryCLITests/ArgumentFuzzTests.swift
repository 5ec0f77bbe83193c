import Foundation
import SNNSupport
import SNNTestSupport
import Testing

/// One generated command line and the words of which a refusal must name one (the parameters it varies).
struct FuzzCase: Sendable, CustomTestStringConvertible {
    let arguments: [String]
    let names: [String]
    /// Input no command may accept (an unknown option, a stray argument, an option without its value).
    var mustRefuse = false
    var testDescription: String { arguments.joined(separator: " ") }
}

/// Bad input, tried systematically: every subcommand with one option (or two or three, in seeded random
/// combinations) set to valid, boundary and invalid values: zero and negative sizes, NaN and infinity, values past
/// Int64, huge widths, empty and malformed lists, unknown names, and damaged files for --resume, merge and
/// --weights-from. Valid runs are kept tiny (depth 2-3, widths 20-50, 2 networks) so the whole set runs in well under
/// two minutes on two cores.
enum ArgumentFuzz {
    static let ints = ["0", "-1", "2", "9223372036854775807", "99999999999999999999", "1.5", ""]
    static let sizes = ints + ["100000000", "100000001"]
    static let reals = ["0", "-1", "0.5", "nan", "-inf", "1e308", "5e-324", ""]
    static let probabilities = ["0", "1", "0.01", "0.5", "0.99", "-0.1", "nan", ""]
    static let seeds = ["0", "18446744073709551615", "18446744073709551616", "-1", "x"]
    static let resets = ["subtract", "zero", "", "none", "SUBTRACT"]
    static let inputs = ["bernoulli:1", "bernoulli:0", "bernoulli:nan", "gaussian:1", "gaussian:-1", "gaussian:inf",
                         "poisson:1", ""]
    static let schemes = ["kaiming", "pytorch", "sigma-w:2", "sigma-w:0", "sigma-w:nan", "PAPER", "paper,", ""]
    static let formats = ["table", "csv", "json", "xml", ""]
    static let widthLists = ["20,30", "", ",", "20,,30", "0", "-5", "nan", "100000001", " 20 , 30 "]
    static let realLists = ["0.5,2", "", "1,,2", "0", "-1", "nan", "inf", "1:2:3", "2:1:3", "1:2:2:log", "1:2:100000"]
    static let files = ["@missing", "@empty", "@garbage", "@truncated", "@valid", "@other", "@notjson", "@deep",
                        "@directory", "@binary", "@crlf", "@duplicate", "@predictjson"]

    /// A subcommand: tiny valid arguments, and the values to try per option.
    struct Command {
        let base: [String]
        let options: [(String, [String])]
        var flags: [String] = []
    }

    static let network: [(String, [String])] = [
        ("depth", sizes), ("width", sizes), ("input-size", ["0", "-3", "7", "100000001"]), ("widths", widthLists),
        ("theta", reals), ("beta", probabilities), ("reset", resets), ("input", inputs), ("target-variance", reals),
    ]

    static let commands: [Command] = [
        Command(base: ["predict", "--depth", "3", "--width", "20"],
                options: network + [
                    ("steps", ["0", "-1", "2", "3", "1025", ""]), ("init", schemes + ["paper,kaiming,glorot"]),
                    ("format", formats), ("target-rate", probabilities), ("solve-over", ["first-step", "final-step", "x"]),
                    ("method", ["qmc", "quadrature", "x"]), ("qmc-points", ["63", "64", "-1", "1048577"]),
                    ("qmc-replicates", ["1", "2", "257"]), ("seed", seeds), ("plot", ["@directory/p.svg", "/nonexistent/p.svg"]),
                ],
                flags: ["--all-layers", "--finite-width"]),
        Command(base: ["simulate", "--depth", "2", "--width", "20", "--networks", "2", "--batch", "2"],
                options: network.filter { $0.0 != "depth" && $0.0 != "width" && $0.0 != "widths" } + [
                    ("depth", ["0", "-1", "3", "100001", "abc"]), ("width", ["0", "-1", "30", "100000000", "100000001"]),
                    ("widths", ["20,30", "", ",", "0,5", "nan", "100000001,2"]),
                    ("steps", ["0", "-1", "3", "1025", "1000001"]), ("batch", ints), ("networks", ints), ("seed", seeds),
                    ("threads", ["0", "-1", "1", "2", "257"]), ("weights", ["gaussian", "uniform", "cauchy", ""]),
                    ("method", ["full", "reduced", "x"]), ("init", schemes), ("format", formats),
                    ("target-rate", probabilities), ("solve-over", ["first-step", "x"]), ("weights-from", files),
                    ("solve-on", ["theory", "sampler", "x", ""]), ("solver-networks", ["1", "2", "-1", "100000001"]),
                    ("plot", ["/nonexistent/p.svg"]), ("resume", files), ("output", ["@missing", "@directory", "@valid"]),
                ],
                flags: ["--all-layers"]),
        Command(base: ["compare", "--depth", "2", "--widths", "20", "--thetas", "1", "--networks", "2"],
                options: [
                    ("depth", ["0", "-1", "3", "100001", "abc", ""]), ("widths", widthLists), ("thetas", realLists),
                    ("betas", ["0", "1", "0.5,0.9", "1.5", "nan", "", "0.5,0.5"]), ("inits", schemes + ["paper,paper"]),
                    ("input-size", ["0", "-3", "7", "100000001"]), ("reset", resets), ("steps", ["0", "2", "1025"]),
                    ("input", inputs), ("target-variance", reals), ("batch", ints), ("networks", ints), ("seed", seeds),
                    ("threads", ["0", "1", "257"]), ("weights", ["uniform", "cauchy"]), ("tolerance", probabilities),
                    ("format", formats), ("output", files + [""]), ("resume", files + [""]),
                    ("shard", ["1/1", "1/2", "2/2", "0/2", "3/2", "1/0", "-1/2", "1", "a/b", "", "1/1000001"]),
                    ("plot", ["@directory/p.svg", "/nonexistent/p.svg", "", "@directory/"]),
                ],
                flags: ["--quiet", "--verbose"]),
        Command(base: ["validity", "--depth", "3", "--widths", "50", "--thetas", "1", "--max-width", "64"],
                options: [
                    ("depth", ints), ("thetas", realLists), ("widths", widthLists), ("tolerance", probabilities),
                    ("silent-tolerance", probabilities), ("max-width", ["0", "15", "16", "65537", "-1"]),
                    ("input", inputs), ("init", schemes), ("target-variance", reals), ("format", formats),
                    ("plot", ["/nonexistent/p.svg"]),
                ]),
        Command(base: ["phase", "--depth", "3", "--width", "50", "--thetas", "1", "--target-variances", "1"],
                options: [
                    ("thetas", realLists), ("target-variances", realLists), ("weight-scales", realLists),
                    ("depth", ints), ("width", ["0", "-1", "65537", "abc"]), ("input", inputs),
                    ("tolerance", probabilities), ("negligible-probability", ["1e-300", "1e-301", "1e-5", "nan", "0"]),
                    ("format", formats), ("plot", ["/nonexistent/p.svg"]),
                ]),
        Command(base: ["advise", "--theta", "1", "--depth", "3", "--width", "50"],
                options: [
                    ("theta", reals), ("depth", ints), ("width", ["0", "-1", "65537", "abc"]), ("input", inputs),
                    ("target-rate", probabilities), ("tolerance", probabilities), ("margin", ["1", "0.5", "nan", "inf"]),
                    ("negligible-probability", ["1e-300", "1e-5", "nan"]), ("steps", ["0", "2", "-1"]),
                    ("beta", probabilities), ("reset", resets), ("format", formats),
                ]),
        Command(base: ["init", "--widths", "20,10"],
                options: [
                    ("widths", widthLists + ["3,8:3x3,flatten:4x4,10", "3,8:3x3,10", "3,8:0x3,flatten:1x1,2",
                                             "3,8:3x3x3,flatten:1x1,2", "3,flatten:2x2", "3,flatten:2x2,flatten:2x2,4",
                                             "20,flatten:2x2,4", "3,100000000:100000000,flatten:1x1,2", "20,8:"]),
                    ("theta", reals), ("beta", probabilities), ("reset", resets), ("input", inputs),
                    ("target-variance", reals), ("init", schemes + ["paper,paper", "he,kaiming"]),
                    ("target-rate", probabilities), ("format", formats), ("seed", seeds),
                    ("npy", ["@directory/w", "@valid", "/proc/snn-npy", ""]), ("weights-from", files),
                ]),
        Command(base: ["init", "--widths", "20,10", "--init", "paper", "--out", "@directory/net.nir"],
                options: [
                    ("out", ["@directory/n.nir", "/nonexistent/n.nir", "@directory/n.txt", "@valid", ""]),
                    ("convention", ["exact", "snntorch", "norse", "sinabs", "rockpool", "lava", "", "EXACT"]),
                    ("dt", reals), ("beta", probabilities), ("format", formats + ["nir"]), ("seed", seeds),
                    ("init", ["kaiming", "paper,kaiming", ""]),
                ]),
        Command(base: ["nir", "inspect", "@nir"],
                options: [("dt", reals), ("format", formats), ("convention", ["sinabs", "lava", ""]), ("input", inputs)]),
        Command(base: ["predict", "--nir", "@nir"],
                options: [("convention", ["snntorch", "norse", "x", ""]), ("dt", reals),
                          ("steps", ["1", "2", "0", "65"]), ("neuron-samples", ["16", "15", "1048577", "x", ""]),
                          ("input", inputs), ("format", formats)]),
        Command(base: ["simulate", "--nir", "@nir", "--batch", "4"],
                options: [("batch", ints), ("steps", ["0", "2", "1025"]), ("seed", seeds), ("threads", ["0", "1", "257"]),
                          ("input", inputs), ("input-file", ["@missing", "@garbage", "@empty", "@directory"]),
                          ("convention", ["sinabs", "x"]), ("format", formats), ("output", ["@missing"]),
                          ("plot", ["@directory/p.svg", "/nonexistent/p.svg"])]),
        Command(base: ["compare", "--nir", "@nir", "--batch", "4"],
                options: [("batch", ints), ("seed", seeds), ("input", inputs), ("input-file", ["@missing", "@garbage"]),
                          ("format", formats), ("shard", ["1/2"]), ("plot", ["/nonexistent/p.svg"]),
                          ("steps", ["2", "65"]), ("neuron-samples", ["16", "0"])]),
    ]

    /// Refusals of ArgumentParser or of the tool may name the option or say "memory" (size refusals).
    static func names(_ option: String) -> [String] {
        ["depth", "width", "widths", "batch", "steps", "networks", "input-size"].contains(option)
            ? [option, "memory"] : [option]
    }

    static func with(_ base: [String], _ option: String, _ value: String) -> [String] {
        var arguments = base
        if let i = arguments.firstIndex(of: "--" + option) {
            arguments[i + 1] = value
        } else {
            arguments += ["--" + option, value]
        }
        return arguments
    }

    static let cases: [FuzzCase] = {
        var cases: [FuzzCase] = []
        for c in commands {
            cases.append(FuzzCase(arguments: c.base, names: []))
            for (option, values) in c.options {
                for value in values { cases.append(FuzzCase(arguments: with(c.base, option, value), names: names(option))) }
            }
            for flag in c.flags { cases.append(FuzzCase(arguments: c.base + [flag], names: [flag.dropFirst(2).description])) }
            cases.append(FuzzCase(arguments: c.base + ["--bogus"], names: ["bogus"], mustRefuse: true))
            cases.append(FuzzCase(arguments: c.base + ["--" + c.options[0].0], names: [c.options[0].0],
                                  mustRefuse: true))
            cases.append(FuzzCase(arguments: c.base + ["stray"], names: ["stray"], mustRefuse: true))
        }
        // Seeded combinations of two or three mutations of one subcommand.
        var rng = SplitMix64(state: 300)
        func pick<T>(_ a: [T]) -> T { a[Int(rng.next() % UInt64(a.count))] }
        for _ in 0..<60 {
            let c = pick(commands)
            var arguments = c.base, names: [String] = []
            for _ in 0..<(2 + Int(rng.next() % 2)) {
                let (option, values) = pick(c.options)
                arguments = with(arguments, option, pick(values))
                names += Self.names(option)
            }
            cases.append(FuzzCase(arguments: arguments, names: names))
        }
        for files in [["@valid"], ["@valid", "@valid"], ["@missing"], ["@empty"], ["@garbage"], ["@truncated"],
                      ["@valid", "@other"], ["@notjson"], ["@deep"], ["@directory"], ["@binary"], ["@crlf"],
                      ["@duplicate"], ["@predictjson"], []]
        {
            cases.append(FuzzCase(arguments: ["merge"] + files, names: ["merge", "files"]))
            cases.append(FuzzCase(arguments: ["merge"] + files + ["--format", "csv", "--allow-missing"],
                                  names: ["merge", "files"]))
        }
        cases.append(FuzzCase(arguments: ["merge", "@valid", "--format", "yaml"], names: ["format"]))
        for root in [[], ["--version"], ["--help"], ["help"], ["help", "compare"], ["frobnicate"], ["--bogus"],
                     ["-h"], ["init", "--help"], ["merge", "--help"], ["--generate-completion-script", "bash"],
                     ["--generate-completion-script", "tcsh"]]
        {
            cases.append(FuzzCase(arguments: root, names: root.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "-")) }
                                      + ["subcommand", "completion", "shell"]))
        }
        return cases
    }()
}

/// The damaged and valid files the `@name` placeholders stand for, made once.
enum FuzzFiles {
    static let compareBase = ["compare", "--depth", "2", "--widths", "20", "--thetas", "1", "--networks", "2"]

    static let templates: [String: Data] = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("snn-fuzz-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func record(_ extra: [String]) -> Data {
            let path = dir.appendingPathComponent(UUID().uuidString).path
            _ = try? SpawnedCLI.run(compareBase + extra + ["--output", path, "--quiet"])
            return (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()
        }
        let valid = record([]), other = record(["--networks", "3"])
        let predict = (try? SpawnedCLI.run(["predict", "--depth", "2", "--width", "20", "--format", "json"]).stdout) ?? ""
        var binary = Data((0...255).map { UInt8($0) })
        binary.append(contentsOf: [0x0A])
        return [
            "@empty": Data(),
            "@garbage": Data("not a record\n{\"model\":\n".utf8),
            "@truncated": valid.dropLast(25),
            "@valid": valid,
            "@other": other,
            "@notjson": Data("{}\n[]\n".utf8),
            "@deep": Data((String(repeating: "[", count: 100_000) + "\n").utf8),
            "@binary": binary,
            "@crlf": Data(String(decoding: valid, as: UTF8.self).replacingOccurrences(of: "\n", with: "\r\n").utf8),
            "@duplicate": valid + valid,
            "@predictjson": Data(predict.utf8),
            "@nir": (try? Data(contentsOf: URL(fileURLWithPath: Repository.path("Tests/Fixtures/nir/mlp_small.nir")))) ?? Data(),
        ]
    }()

    /// Replaces placeholders with fresh files (or a directory, or a missing path) under `dir`.
    static func materialize(_ arguments: [String], in dir: URL) throws -> [String] {
        try arguments.enumerated().map { i, argument in
            guard argument.hasPrefix("@") else { return argument }
            let parts = argument.split(separator: "/", maxSplits: 1).map(String.init)
            let path = dir.appendingPathComponent("\(i)-\(parts[0].dropFirst())")
            switch parts[0] {
            case "@missing": break
            case "@directory": try FileManager.default.createDirectory(at: path, withIntermediateDirectories: true)
            default: try templates[parts[0]]!.write(to: path)
            }
            return parts.count == 2 ? path.appendingPathComponent(parts[1]).path : path.path
        }
    }
}

@Suite struct ArgumentFuzzTests {
    @Test func atLeast300Combinations() {
        #expect(ArgumentFuzz.cases.count >= 300)
    }

    /// The valid record files the damaged ones are made from were written: otherwise every file case would test an
    /// empty file and the resume, merge and --weights-from paths would go unexercised.
    @Test func theValidFixturesAreRecords() {
        for name in ["@valid", "@other", "@predictjson"] {
            let data = FuzzFiles.templates[name] ?? Data()
            #expect(data.count > 100 && data.first == UInt8(ascii: "{"), "\(name): \(data.count) bytes")
        }
    }

    /// Exit 0 or a clean refusal below 128, never a signal or a hang; a refusal is one stderr line naming a parameter.
    @Test(arguments: ArgumentFuzz.cases)
    func badInputIsRefusedCleanlyOrRuns(fuzz: FuzzCase) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("snn-fuzz-case-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let arguments = try FuzzFiles.materialize(fuzz.arguments, in: dir)
        let check = {
            // In the case's own directory, so that nothing a case writes lands in the repository.
            let result = try SpawnedCLI.run(arguments, timeout: 20, directory: dir.path)
            #expect(!result.terminatedBySignal, "signal or hang: \(result.stderr.suffix(400))")
            #expect(result.status >= 0 && result.status < 128)
            if fuzz.mustRefuse { #expect(result.status != 0, "accepted: \(fuzz.testDescription)") }
            if result.status != 0 && !result.terminatedBySignal {
                let lines = result.stderr.split(separator: "\n")
                #expect(lines.count == 1, "stderr: \(result.stderr)")
                let message = result.stderr.lowercased()
                #expect(fuzz.names.isEmpty || fuzz.names.contains { message.contains($0.lowercased()) },
                        "expected one of \(fuzz.names) in: \(result.stderr)")
                #expect(!fuzz.names.isEmpty, "a valid base command was refused: \(result.stderr)")
            }
        }
        try check()
    }
}
