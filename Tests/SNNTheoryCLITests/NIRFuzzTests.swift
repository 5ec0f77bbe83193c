import Foundation
import NIR
import SNNSupport
import SNNTestSupport
import Testing

/// One damaged NIR file: how it was made, and its bytes.
struct NIRMutation: Sendable, CustomTestStringConvertible {
    let description: String
    let bytes: Data
    var testDescription: String { description }
}

/// Mutated NIR files, seeded: bytes flipped, zeroed, cut or appended anywhere in small valid files (HDF5's own
/// structures included), and graphs changed through the NIR writer (a node removed, an edge redirected, a weight
/// reshaped or poisoned, a parameter emptied). `nir inspect` must read each or refuse it in one line, never crash,
/// hang or print a trace.
enum NIRFuzz {
    static let sources = ["mlp_small.nir", "conv_net.nir", "cuba_lif.nir", "recurrent.nir", "nested_subgraph.nir",
                          "real/lif_norse.nir"].map { Repository.path("Tests/Fixtures/nir/\($0)") }

    static let cases: [NIRMutation] = {
        var rng = SplitMix64(state: 17)
        func below(_ n: Int) -> Int { Int(rng.next() % UInt64(max(n, 1))) }
        var cases: [NIRMutation] = []
        let files = sources.map { (($0 as NSString).lastPathComponent, (try? Data(contentsOf: URL(fileURLWithPath: $0))) ?? Data()) }
        for index in 0..<90 {
            let (name, original) = files[index % files.count]
            guard !original.isEmpty else { continue }
            var bytes = original
            let description: String
            switch index % 5 {
            case 0, 1:
                let count = 1 + below(16)
                for _ in 0..<count { bytes[below(bytes.count)] ^= UInt8(1 + below(255)) }
                description = "\(name): \(count) bytes flipped (case \(index))"
            case 2:
                let start = below(bytes.count), length = 1 + below(512)
                bytes.replaceSubrange(start..<min(bytes.count, start + length), with: Data(count: min(length, bytes.count - start)))
                description = "\(name): \(length) bytes zeroed at \(start)"
            case 3:
                let keep = below(bytes.count)
                bytes = bytes.prefix(keep)
                description = "\(name): cut to \(keep) bytes"
            default:
                bytes.append(Data((0..<(1 + below(4096))).map { _ in UInt8(below(256)) }))
                let start = below(2048)
                bytes[start] ^= 0xFF
                description = "\(name): garbage appended, byte \(start) inverted"
            }
            cases.append(NIRMutation(description: description, bytes: bytes))
        }
        cases += structural(&rng)
        return cases
    }()

    /// Graph-level changes, written by the project's writer into files read back by `nir inspect`.
    static func structural(_ rng: inout SplitMix64) -> [NIRMutation] {
        guard let graph = try? NIRGraph.read(path: sources[0]) else { return [] }
        var cases: [NIRMutation] = []
        let names = graph.nodes.keys.sorted()
        for index in 0..<30 {
            var mutated = graph
            let name = names[Int(rng.next() % UInt64(names.count))]
            let description: String
            switch index % 5 {
            case 0:
                mutated.nodes[name] = nil
                description = "node \(name) removed"
            case 1:
                let row = Int(rng.next() % UInt64(mutated.edges.count))
                mutated.edges[row].target = names[Int(rng.next() % UInt64(names.count))]
                description = "edge \(row) redirected to \(mutated.edges[row].target)"
            case 2:
                guard case .affine(let weight, let bias)? = mutated.nodes["fc2"]?.kind, case .float32(let values) = weight.elements else { continue }
                let shapes = [[values.count], [4, values.count / 4], [values.count / 2, 2], [1, values.count]]
                let shape = shapes[Int(rng.next() % 4)]
                mutated.nodes["fc2"]?.kind = .affine(weight: HDF5Array(shape: shape, elements: .float32(values)), bias: bias)
                description = "fc2 weight reshaped to \(shape)"
            case 3:
                guard case .affine(let weight, let bias)? = mutated.nodes["fc1"]?.kind, case .float32(var values) = weight.elements else { continue }
                values[Int(rng.next() % UInt64(values.count))] = [Float.nan, .infinity, -.infinity][index % 3]
                mutated.nodes["fc1"]?.kind = .affine(weight: HDF5Array(shape: weight.shape, elements: .float32(values)), bias: bias)
                description = "fc1 weight poisoned"
            default:
                guard case .leakyIntegrateAndFire(let tau, let r, let vLeak, _, let vReset)? = mutated.nodes["lif1"]?.kind else { continue }
                mutated.nodes["lif1"]?.kind = .leakyIntegrateAndFire(tau: tau, r: r, vLeak: vLeak,
                                                                     vThreshold: HDF5Array(shape: [0], elements: .float32([])),
                                                                     vReset: vReset)
                description = "lif1 v_threshold emptied"
            }
            let path = Scratch.path("nir-fuzz-structural", suffix: ".nir")
            defer { try? FileManager.default.removeItem(atPath: path) }
            guard (try? mutated.write(to: path)) != nil, let bytes = try? Data(contentsOf: URL(fileURLWithPath: path)) else { continue }
            cases.append(NIRMutation(description: "mlp_small.nir: \(description) (case \(index))", bytes: bytes))
        }
        return cases
    }
}

@Suite struct NIRFuzzTests {
    @Test func atLeast100MutatedFiles() {
        #expect(NIRFuzz.cases.count >= 100, "\(NIRFuzz.cases.count)")
    }

    @Test(arguments: NIRFuzz.cases)
    func aMutatedFileIsReadOrRefusedInOneLine(mutation: NIRMutation) throws {
        let path = Scratch.path("nir-fuzz", suffix: ".nir")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try mutation.bytes.write(to: URL(fileURLWithPath: path))
        let result = try SpawnedCLI.run(["nir", "inspect", path, "--format", "json"], timeout: 20)
        #expect(!result.terminatedBySignal, "signal or hang: \(result.stderr.suffix(400))")
        #expect(result.status >= 0 && result.status < 128)
        if result.status != 0 {
            #expect(result.stderr.split(separator: "\n").count == 1, "stderr: \(result.stderr)")
            #expect(result.stderr.contains(path), "the line does not name the file: \(result.stderr)")
        } else {
            #expect(result.json != nil, "exit 0 without JSON")
        }
    }
}
