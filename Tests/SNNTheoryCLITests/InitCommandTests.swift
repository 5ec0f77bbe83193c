import Foundation
import SNNTestSupport
import Testing

/// A .npy file read back by an independent parser: magic, version, header dict, shape, dtype, then the values.
struct NPYFile {
    let version: (UInt8, UInt8)
    let descr: String
    let fortranOrder: Bool
    let shape: [Int]
    let dataOffset: Int
    let values: [Float]

    enum Failure: Error { case bad(String) }

    init(path: String) throws {
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        guard data.count >= 10, data[0] == 0x93, Array(data[1..<6]) == Array("NUMPY".utf8) else {
            throw Failure.bad("magic")
        }
        version = (data[6], data[7])
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        let dataOffset = 10 + headerLength
        self.dataOffset = dataOffset
        guard data.count >= dataOffset else { throw Failure.bad("header length") }
        let header = String(decoding: data[10..<dataOffset], as: UTF8.self)
        guard header.hasSuffix("\n") else { throw Failure.bad("header newline") }
        func field(_ key: String, until end: Character) throws -> String {
            guard let r = header.range(of: "'\(key)': ") else { throw Failure.bad(key) }
            let rest = header[r.upperBound...]
            guard let stop = rest.firstIndex(of: end) else { throw Failure.bad(key) }
            return String(rest[..<stop])
        }
        descr = try field("descr", until: ",").trimmingCharacters(in: CharacterSet(charactersIn: "'"))
        fortranOrder = try field("fortran_order", until: ",") == "True"
        shape = try field("shape", until: ")").dropFirst().split(separator: ",").map {
            guard let n = Int($0.trimmingCharacters(in: .whitespaces)) else { throw Failure.bad("shape") }
            return n
        }
        let count = shape.reduce(1, *)
        guard data.count == dataOffset + 4 * count else { throw Failure.bad("data length") }
        values = (0..<count).map { i in
            let o = dataOffset + 4 * i
            let bits = UInt32(data[o]) | UInt32(data[o + 1]) << 8 | UInt32(data[o + 2]) << 16 | UInt32(data[o + 3]) << 24
            return Float(bitPattern: bits)
        }
    }

    var sampleVariance: Double {
        let n = Double(values.count)
        let mean = values.reduce(0.0) { $0 + Double($1) } / n
        return values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / (n - 1)
    }
}

@Suite struct InitCommandTests {
    static func temporaryDirectory() -> String { Scratch.path("snn-npy") }

    static let numpyAvailable: Bool = {
        (try? SpawnedCLI.run(["python3", "-c", "import numpy"], executable: "/usr/bin/env"))?.status == 0
    }()

    /// The acceptance command: per layer, a .npy v1.0 file of float32, shape (out, in), and a sample variance within
    /// 3% of the reported one (and within 5 standard errors, sqrt(2 / (n - 1)) relative for Gaussian weights).
    /// --weights-from takes a file's per-layer scales as the gain n_{l-1} Var[w_l]: the paper's scales predicted at
    /// width 100 come back as init's own paper scales at width 50 (each Var[w] doubled), for every layer.
    @Test func weightsFromAFileKeepTheGainAtAnotherWidth() throws {
        let path = Scratch.path("solved", suffix: ".json")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let predicted = try CLI.run(["predict", "--depth", "3", "--width", "100", "--theta", "1.5", "--init", "paper",
                                     "--format", "json"])
        #expect(predicted.status == 0)
        try predicted.stdout.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try CLI.run(["init", "--widths", "50,50,50,50", "--theta", "1.5", "--init", "paper",
                                  "--weights-from", path, "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let initializations = try #require(result.json?["initializations"] as? [[String: Any]])
        #expect(initializations.count == 2)
        let own = try #require(initializations[0]["layers"] as? [[String: Any]])
        let fromFile = try #require(initializations[1]["layers"] as? [[String: Any]])
        #expect((initializations[1]["init"] as? String)?.hasPrefix("from-solved-") == true)
        #expect(own.count == 3 && fromFile.count == 3)
        // The paper's rule at width 50, theta 1.5, Bernoulli(0.2) input: 1 / (50 x 0.2), then 1 / (50 Q(1.5)).
        let q = erfc(1.5 / 2.0.squareRoot()) / 2
        let reference = [1 / (50 * 0.2), 1 / (50 * q), 1 / (50 * q)]
        for ((a, b), expected) in zip(zip(own, fromFile), reference) {
            let mine = try #require(a["weight_variance"] as? Double), got = try #require(b["weight_variance"] as? Double)
            #expect(abs(mine - expected) <= 1e-12 * expected, "layer \(a["layer"] ?? 0): \(mine) vs \(expected)")
            #expect(abs(got - expected) <= 1e-12 * expected, "layer \(a["layer"] ?? 0): \(got) vs \(expected)")
        }
        let short = try CLI.run(["init", "--widths", "50,50,50", "--weights-from", path])
        #expect(short.status == 64)
        #expect(short.stderr == "snn-theory: error: weights-from: '\(path)' has 3 layers; the network has 2\n")
    }

    @Test func npyFilesHaveTheFormatShapeAndReportedVariance() throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try SpawnedCLI.run(["init", "--widths", "784,1000,1000,10", "--theta", "1", "--init", "paper",
                                  "--npy", dir, "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let layers = try #require(result.json?["layers"] as? [[String: Any]])
        let shapes = [[1000, 784], [1000, 1000], [10, 1000]]
        #expect(layers.count == 3)
        for (i, layer) in layers.enumerated() {
            let name = try #require(layer["npy"] as? String)
            #expect(name == "paper_layer\(i + 1).npy")
            let file = try NPYFile(path: dir + "/" + name)
            #expect(file.version == (1, 0))
            #expect(file.descr == "<f4" && !file.fortranOrder)
            #expect(file.shape == shapes[i])
            #expect(file.dataOffset % 64 == 0)
            #expect(layer["weight_shape"] as? [Int] == shapes[i])
            #expect(layer["fan_in"] as? Int == shapes[i][1] && layer["width"] as? Int == shapes[i][0])
            let reported = try #require(layer["weight_variance"] as? Double)
            #expect(abs((layer["weight_std"] as? Double ?? 0) - reported.squareRoot()) < 1e-15)
            #expect(layer["distribution"] as? String == "gaussian")
            let relative = file.sampleVariance / reported - 1
            #expect(abs(relative) < 0.03)
            #expect(abs(relative) < 5 * (2.0 / Double(file.values.count - 1)).squareRoot())
        }
        // Written to temporary names and renamed: nothing else is left in the directory.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
            == ["paper_layer1.npy", "paper_layer2.npy", "paper_layer3.npy"])
    }

    @Test(.enabled(if: InitCommandTests.numpyAvailable))
    func numpyLoadsTheFilesWithShapeDtypeAndVariance() throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try SpawnedCLI.run(["init", "--widths", "784,1000,1000,10", "--theta", "1", "--init", "paper,pytorch",
                                  "--npy", dir, "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let schemes = try #require(result.json?["initializations"] as? [[String: Any]])
        let script = """
        import sys, numpy as np
        for path in sys.argv[1:]:
            w = np.load(path)
            print(w.shape, w.dtype, repr(float(w.astype(np.float64).var(ddof=1))), w.flags['C_CONTIGUOUS'])
        """
        var paths: [String] = [], expected: [(shape: [Int], variance: Double)] = []
        for scheme in schemes {
            for layer in try #require(scheme["layers"] as? [[String: Any]]) {
                paths.append(dir + "/" + (layer["npy"] as? String ?? ""))
                expected.append((layer["weight_shape"] as? [Int] ?? [], layer["weight_variance"] as? Double ?? 0))
            }
        }
        let python = try SpawnedCLI.run(["python3", "-c", script] + paths, executable: "/usr/bin/env")
        #expect(python.status == 0, "\(python.stderr)")
        let lines = python.stdout.split(separator: "\n")
        #expect(lines.count == 6)
        for (line, e) in zip(lines, expected) {
            let shape = "(" + e.shape.map(String.init).joined(separator: ", ") + ")"
            #expect(line.hasPrefix(shape + " float32 "), "\(line)")
            #expect(line.hasSuffix(" True"))
            let variance = try #require(Double(line.split(separator: " ").dropLast().last ?? ""))
            #expect(abs(variance / e.variance - 1) < 0.03, "\(line) against \(e.variance)")
        }
    }

    @Test func theSameSeedGivesTheSameFilesAndAnotherSeedOthers() throws {
        let a = Self.temporaryDirectory(), b = Self.temporaryDirectory(), c = Self.temporaryDirectory()
        defer { for d in [a, b, c] { try? FileManager.default.removeItem(atPath: d) } }
        let common = ["init", "--widths", "50,40,30", "--init", "kaiming,pytorch"]
        for (dir, seed) in [(a, "11"), (b, "11"), (c, "12")] {
            #expect(try SpawnedCLI.run(common + ["--npy", dir, "--seed", seed]).status == 0)
        }
        for name in ["kaiming_layer1.npy", "kaiming_layer2.npy", "pytorch_layer2.npy"] {
            let x = try Data(contentsOf: URL(fileURLWithPath: a + "/" + name))
            #expect(x == (try Data(contentsOf: URL(fileURLWithPath: b + "/" + name))))
            #expect(x != (try Data(contentsOf: URL(fileURLWithPath: c + "/" + name))))
        }
        // PyTorch's default is Uniform(-b, b): every weight within the bound sqrt(3 Var[w]) = 1 / sqrt(fan_in).
        let uniform = try NPYFile(path: a + "/pytorch_layer1.npy")
        #expect(uniform.values.allSatisfy { abs($0) <= Float(1 / 50.0.squareRoot()) })
    }

    /// For fully connected layers the per-layer rule is the whole network's: the same variances as `predict`.
    @Test func variancesEqualPredictsForEveryScheme() throws {
        let schemes = "paper,paper-reset,paper-balance,kaiming,lecun,glorot,pytorch,sigma-w:1.5"
        let common = ["--widths", "300,200,100,50", "--theta", "1.3", "--beta", "0.7", "--input", "gaussian:0.5",
                      "--target-variance", "0.8", "--init", schemes, "--format", "json"]
        let initialized = try #require(try SpawnedCLI.run(["init"] + common).json?["initializations"] as? [[String: Any]])
        let predicted = try #require(try SpawnedCLI.run(["predict"] + common).json?["predictions"] as? [[String: Any]])
        #expect(initialized.count == 8 && predicted.count == 8)
        for (i, p) in zip(initialized, predicted) {
            #expect(i["init"] as? String == p["init"] as? String)
            let a = (i["layers"] as? [[String: Any]] ?? []).map { $0["weight_variance"] as? Double }
            let b = (p["layers"] as? [[String: Any]] ?? []).map { $0["weight_variance"] as? Double }
            #expect(a.count == 3 && a == b, "\(i["init"] ?? "")")
            #expect(a.allSatisfy { ($0 ?? 0) > 0 }, "\(i["init"] ?? ""): a missing or non-positive weight_variance")
        }
    }

    /// 1 -> 32 (3x3) -> 64 (3x3) -> flatten 24x24 -> 10: fan-ins 9, 288, 64 x 576; Glorot uses PyTorch's fan-out.
    @Test func convolutionFanInIsChannelsTimesKernelAndFilesAreConv2dShaped() throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try SpawnedCLI.run(["init", "--widths", "1,32:3x3,64:3,flatten:24x24,10", "--init", "glorot",
                                  "--format", "json", "--npy", dir])
        #expect(result.status == 0, "\(result.stderr)")
        let layers = try #require(result.json?["layers"] as? [[String: Any]])
        #expect(layers.map { $0["fan_in"] as? Int } == [9, 288, 36864])
        #expect(layers.map { $0["width"] as? Int } == [32, 64, 10])
        #expect(layers.map { $0["kind"] as? String } == ["conv2d", "conv2d", "linear"])
        #expect(layers.map { $0["weight_shape"] as? [Int] } == [[32, 1, 3, 3], [64, 32, 3, 3], [10, 36864]])
        #expect(layers[1]["weight_variance"] as? Double == 2.0 / (288 + 576))
        #expect(try NPYFile(path: dir + "/glorot_layer2.npy").shape == [64, 32, 3, 3])
    }

    /// The solver's first-step scales for rate r: sigma^2 = (theta / Q^-1(r))^2, Var[w_l] = sigma^2 / (n Q) after layer 1.
    @Test func targetRateAddsTheSolversFirstStepScales() throws {
        let result = try SpawnedCLI.run(["init", "--widths", "784,1000,1000", "--init", "paper", "--target-rate", "0.1",
                                  "--format", "json"])
        let schemes = try #require(result.json?["initializations"] as? [[String: Any]])
        #expect(schemes.map { $0["init"] as? String } == ["paper", "target-rate:0.1"])
        let layer2 = try #require((schemes[1]["layers"] as? [[String: Any]])?[1]["weight_variance"] as? Double)
        let z = 1.2815515655446004  // Q^-1(0.1)
        #expect(abs(layer2 / (1 / (z * z) / (1000 * 0.1)) - 1) < 1e-9)
    }

    static let refusals: [([String], String)] = [
        (["init", "--widths", "100000,100000,100000", "--npy", "/tmp/snn-never"], "GB"),
        (["init", "--widths", "784"], "widths"),
        (["init", "--widths", "3,64:3x3,10"], "flatten"),
        (["init", "--widths", "784,0,10"], "widths"),
        (["init", "--widths", "784,10", "--init", "paper,paper"], "init"),
        (["init", "--widths", "784,10", "--target-rate", "0.5"], "target-rate"),
        (["init", "--widths", "784,10", "--npy", "/dev/null"], "npy"),
    ]

    @Test(arguments: refusals)
    func refusalsAreOneLineNamingTheParameter(arguments: [String], mention: String) throws {
        let result = try SpawnedCLI.run(arguments)
        #expect(result.status == 64)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(result.stderr.contains(mention), "\(result.stderr)")
    }
}
