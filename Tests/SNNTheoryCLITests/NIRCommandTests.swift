import Foundation
import SNNTestSupport
import Testing

/// `nir inspect` on every fixture and both real files, its shapes against what `nir.read` infers, its discretization
/// audit against the formulas of THEORY.md section 8 worked by hand, every malformed file refused in one line; and
/// `init --out net.nir` read back by `nir.read` with the weights the tool reports.
@Suite struct NIRCommandTests {
    static func inspect(_ file: String, _ extra: [String] = []) throws -> [String: Any] {
        let result = try CLI.run(["nir", "inspect", file, "--format", "json"] + extra)
        #expect(result.status == 0, "\(file): \(result.stderr)")
        return try #require(result.json, "\(file): no JSON")
    }

    static func nodes(_ json: [String: Any]) -> [[String: Any]] {
        json["nodes"] as? [[String: Any]] ?? []
    }

    @Test(arguments: Repository.validNIRFiles + Repository.nirFiles(in: "Tests/Fixtures/nir/kept"))
    func everyFixtureIsInspected(file: String) throws {
        let json = try Self.inspect(file)
        #expect(!Self.nodes(json).isEmpty)
        for format in ["table", "csv"] {
            let result = try CLI.run(["nir", "inspect", file, "--format", format])
            #expect(result.status == 0 && !result.stdout.isEmpty, "\(format): \(result.stderr)")
        }
    }

    /// The shape each node takes and gives, against `nir.read`'s own type inference (describe.py), node by node.
    @Test func theSinabsCNNHasTheShapesNIRInfers() throws {
        let file = Repository.path("Tests/Fixtures/nir/real/cnn_sinabs.nir")
        let ours = Self.nodes(try Self.inspect(file))
        #expect(ours.count == 15)
        guard let described = try Subprocess.nirScript("describe.py", [file]) else {
            Issue.record(Comment(rawValue: Repository.nirPythonMissing))
            return
        }
        let theirs = try #require(try JSONSerialization.jsonObject(with: Data(described.stdout.utf8)) as? [String: Any])
        let theirNodes = try #require(theirs["nodes"] as? [[String: Any]])
        #expect(theirNodes.count == 15)
        func shape(_ value: Any?) -> [Int]? { (value as? [Any])?.compactMap { ($0 as? NSNumber)?.intValue } }
        for node in theirNodes {
            let name = try #require(node["name"] as? String)
            let mine = try #require(ours.first { $0["name"] as? String == name }, "node \(name) missing")
            #expect(mine["type"] as? String == node["type"] as? String, "\(name)")
            let input = (node["input_type"] as? [String: Any])?.values.first
            let output = (node["output_type"] as? [String: Any])?.values.first
            #expect(shape(mine["input_shape"]) == shape(input), "\(name) input")
            #expect(shape(mine["output_shape"]) == shape(output), "\(name) output")
        }
    }

    /// lif_norse.nir: one LIF, tau = 0.0025 s, r = 1, v_leak = 0, v_threshold = 0.1, no v_reset, NIR 0.1.1 (so
    /// subtraction). Each convention's beta, input gain and reset, worked here from THEORY.md section 8's table.
    @Test func theNorseLIFIsDiscretizedAsTheFormulasSay() throws {
        let json = try Self.inspect(Repository.path("Tests/Fixtures/nir/real/lif_norse.nir"), ["--dt", "1e-3"])
        let lif = try #require(Self.nodes(json).first { $0["type"] as? String == "LIF" })
        let neuron = try #require(lif["neuron"] as? [String: Any])
        // The file stores float32: tau is 0.0025 to float32 precision, and the formulas take the stored value.
        let tau = try #require(neuron["tau"] as? Double), r = 1.0, theta = 0.1, h = 1e-3
        #expect(abs(tau - 0.0025) < 1e-9)
        #expect(neuron["r"] as? Double == r)
        #expect(abs((neuron["v_threshold"] as? Double ?? 0) - theta) < 1e-8)
        let conventions = try #require(lif["discretization"] as? [[String: Any]])
        func entry(_ name: String) throws -> [String: Any] {
            try #require(conventions.first { $0["convention"] as? String == name }, "\(name) missing")
        }
        func close(_ value: Any?, _ expected: Double, _ what: String) {
            let v = value as? Double ?? .nan
            #expect(abs(v - expected) <= 1e-6 * max(abs(expected), 1e-300), "\(what): \(v) against \(expected)")
        }
        func reset(_ value: Any?) -> String {
            guard let object = value as? [String: Any], let kind = object["kind"] as? String else { return "none" }
            return kind == "to" ? "to \(object["value"] as? Double ?? .nan)" : kind
        }
        let thetaFile = try #require(neuron["v_threshold"] as? Double)
        // exact: beta = e^(-h/tau), gain = r (1 - beta), the file's reset (NIR 0.1.1: subtraction).
        let exact = try entry("exact")
        close(exact["beta"], exp(-h / tau), "exact beta")
        close(exact["input_gain"], r * (1 - exp(-h / tau)), "exact gain")
        #expect(reset(exact["reset"]) == "subtract")
        // snnTorch: dt fixed at 1e-4; beta = 1 - dt/tau; gain 1 with threshold v_thr / (r dt / tau); reset to 0.
        let snntorch = try entry("snntorch")
        close(snntorch["beta"], 1 - 1e-4 / tau, "snnTorch beta")
        close(snntorch["input_gain"], 1, "snnTorch gain")
        close(snntorch["threshold"], thetaFile / (r * 1e-4 / tau), "snnTorch threshold")
        #expect(reset(snntorch["reset"]) == "to 0.0")
        // Norse: beta = 1 - h/tau, gain h/tau (r ignored), reset to 0.
        let norse = try entry("norse")
        close(norse["beta"], 1 - h / tau, "Norse beta")
        close(norse["input_gain"], h / tau, "Norse gain")
        #expect(reset(norse["reset"]) == "to 0.0")
        // Sinabs: tau in steps, beta = e^(-1/tau), gain 1, subtraction, multi-spike.
        let sinabs = try entry("sinabs")
        close(sinabs["beta"], exp(-1 / tau), "Sinabs beta")
        close(sinabs["input_gain"], 1, "Sinabs gain")
        #expect(reset(sinabs["reset"]) == "subtract")
        #expect(sinabs["fires"] as? String == "multi >=")
        // Rockpool: dt = tau / (1 + r), beta = e^(-dt/tau), gain 1, subtraction; its LIF import fails.
        let rockpool = try entry("rockpool")
        close(rockpool["dt"], tau / (1 + r), "Rockpool dt")
        close(rockpool["beta"], exp(-1 / (1 + r)), "Rockpool beta")
        close(rockpool["input_gain"], 1, "Rockpool gain")
        #expect(reset(rockpool["reset"]) == "subtract")
        #expect(rockpool["imported"] as? Bool == false)
        let differences = json["differences"] as? [String] ?? []
        #expect(differences.contains { $0.contains("Norse would import this LIF") && $0.contains("reset to 0") })
    }

    /// The fixture's cycle lif -> rec -> lif, and the one inside the nested graph (snnTorch's RSynaptic export).
    @Test func cyclesAreNamed() throws {
        let recurrent = try Self.inspect(Repository.path("Tests/Fixtures/nir/recurrent.nir"))
        #expect(recurrent["cycles"] as? [[String]] == [["lif", "rec", "lif"]])
        let nested = try Self.inspect(Repository.path("Tests/Fixtures/nir/nested_subgraph.nir"))
        #expect(nested["cycles"] as? [[String]] == [["rsyn/lif", "rsyn/w_rec", "rsyn/lif"]])
        #expect(Self.nodes(nested).contains { $0["name"] as? String == "rsyn/w_rec" })
        let chain = try Self.inspect(Repository.path("Tests/Fixtures/nir/mlp_small.nir"))
        #expect((chain["cycles"] as? [Any])?.isEmpty == true)
    }

    @Test(arguments: Repository.malformedNIRFiles)
    func aMalformedFileIsRefusedInOneLine(file: String) throws {
        let result = try CLI.run(["nir", "inspect", file])
        #expect(result.status != 0 && !result.terminatedBySignal, "\(file) accepted or crashed: \(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains(file), "the line does not name the file: \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func theMalformedKindsAreAllThere() {
        let names = Set(Repository.malformedNIRFiles.map { ($0 as NSString).lastPathComponent })
        for kind in ["not_hdf5", "truncated", "missing_dataset", "mistyped_dataset", "wrong_weight_shape",
                     "unknown_edge_node", "unknown_node_type", "nan_weight", "inf_weight", "empty_graph"] {
            #expect(names.contains(kind + ".nir"), "\(kind)")
        }
    }

    /// Each convention's file reads in nir.read with, for every Affine, exactly the weights `--npy` writes from the
    /// same seed; the exact one inspects back as the neuron asked for (beta, gain/threshold 1/theta).
    @Test(arguments: ["exact", "snntorch", "norse", "sinabs", "rockpool"])
    func initOutWritesTheWeightsTheToolReports(convention: String) throws {
        let dir = try Scratch.directory("snn-init-nir")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/net.nir"
        let result = try CLI.run(["init", "--widths", "30,20,10", "--init", "paper", "--theta", "0.5", "--beta", "0.8",
                                  "--out", file, "--npy", dir + "/npy", "--convention", convention, "--seed", "7"])
        #expect(result.status == 0, "\(result.stderr)")
        guard let checked = try Subprocess.nirScript("check_weights.py", [
            file, "affine1", dir + "/npy/paper_layer1.npy", "affine2", dir + "/npy/paper_layer2.npy",
        ]) else {
            Issue.record(Comment(rawValue: Repository.nirPythonMissing))
            return
        }
        #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
        let json = try Self.inspect(file)
        let lif = try #require(Self.nodes(json).first { $0["name"] as? String == "lif1" })
        let exact = try #require((lif["discretization"] as? [[String: Any]])?.first)
        if convention == "exact" {
            #expect(abs((exact["beta"] as? Double ?? 0) - 0.8) < 1e-6)
            #expect(abs((exact["gain_over_threshold"] as? Double ?? 0) - 2) < 1e-5)
        }
    }

    @Test func initOutRefusesWhatItCannotWrite() throws {
        let dir = try Scratch.directory("snn-init-nir-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for arguments in [["--init", "paper,kaiming", "--out", dir + "/a.nir"],
                          ["--init", "paper", "--out", dir + "/a.txt"],
                          ["--init", "paper", "--format", "nir"],
                          ["--init", "paper", "--out", dir + "/a.nir", "--convention", "lava"],
                          ["--init", "paper", "--out", dir + "/a.nir", "--convention", "snntorch", "--beta", "1"],
                          ["--init", "paper", "--out", dir + "/missing/a.nir"]] {
            let result = try CLI.run(["init", "--widths", "30,20"] + arguments)
            #expect(result.status != 0 && !result.terminatedBySignal, "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
        }
    }
}
