import Foundation
import SNNFormats
import SNNModel
import SNNReports
import SNNTestSupport
import Testing

/// `init`'s plan and report: a row per layer and initialization with its kind, fan-in, shape and scale; the uniform
/// bound sqrt(3 Var[w]) only for uniform weights; one .npy file per initialization and layer.
@Suite struct InitReportTests {
    static func plan(_ scales: [SchemeScales]) throws -> InitPlan {
        try InitPlan(layers: LayerShape.parse("1,4:3x3,flatten:2x2,5"), neuron: NeuronModel(threshold: 1),
                     input: .bernoulli(rate: 0.2), targetVariance: 1, scales: scales, seed: 3)
    }

    static let gaussian = SchemeScales(name: "sigma-w:0.5", distribution: .gaussian, variances: [0.1, 0.2])
    static let uniform = SchemeScales(name: "pytorch", distribution: .uniform, variances: [0.3, 0.4])

    @Test func csvHasARowPerLayerAndInitializationWithTheUniformBoundForUniformWeightsOnly() throws {
        let report = InitReport(plan: try Self.plan([Self.gaussian, Self.uniform]), widthsSpec: "1,4:3x3,flatten:2x2,5",
                                npyDirectory: nil, files: [:])
        let (header, rows) = Read.csv(report.csv())
        #expect(rows.count == 2 * 2 && rows.allSatisfy { $0.count == header.count })
        func column(_ name: String) throws -> [String] {
            let i = try #require(header.firstIndex(of: name))
            return rows.map { $0[i] }
        }
        #expect(try column("init") == ["sigma-w:0.5", "sigma-w:0.5", "pytorch", "pytorch"])
        #expect(try column("kind") == ["conv2d", "linear", "conv2d", "linear"])
        #expect(try column("fan_in") == ["\(1 * 3 * 3)", "\(4 * 2 * 2)", "\(1 * 3 * 3)", "\(4 * 2 * 2)"])
        #expect(try column("kernel") == ["3x3", "", "3x3", ""])
        #expect(try column("weight_shape") == ["4x1x3x3", "5x16", "4x1x3x3", "5x16"])
        #expect(try column("uniform_bound") == ["", "", "\((3 * 0.3).squareRoot())", "\((3 * 0.4).squareRoot())"])
        #expect(try column("npy") == ["", "", "", ""])
    }

    /// Like `predict`: one initialization puts `layers` at the top, several go under `initializations`.
    @Test func jsonPutsOneInitializationsLayersAtTheTop() throws {
        let one = InitReport(plan: try Self.plan([Self.gaussian]), widthsSpec: "w", npyDirectory: nil, files: [:]).json()
        #expect(Read.keys(one) == ["model", "layers"])
        #expect(Read.array(one["layers"]).map { $0["kernel"] } == [.array([.integer(3), .integer(3)]), nil])
        let two = InitReport(plan: try Self.plan([Self.gaussian, Self.uniform]), widthsSpec: "w", npyDirectory: "out",
                             files: [:]).json()
        #expect(Read.keys(two) == ["model", "initializations"])
        #expect(two["model"]?["npy_dir"] == .string("out") && two["model"]?["init"] == .string("sigma-w:0.5,pytorch"))
    }

    /// One file per initialization and layer, named after the initialization with ':' written as '-'; each holds
    /// the layer's weight shape in float32 behind its header.
    @Test func npyFilesAreOnePerInitializationAndLayer() throws {
        let plan = try Self.plan([Self.gaussian, Self.uniform])
        let shapes = plan.layers.map(\.weightShape)
        #expect(plan.npyFileCount == 4)
        #expect(plan.npyBytes == 2 * Double(shapes.map { NumPyFile.byteCount(shape: $0) }.reduce(0, +)))
        let directory = Scratch.path("init")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = try plan.writeNPY(directory: directory)
        #expect(files == ["sigma-w:0.5": ["sigma-w-0.5_layer1.npy", "sigma-w-0.5_layer2.npy"],
                          "pytorch": ["pytorch_layer1.npy", "pytorch_layer2.npy"]])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).count == 4)
        for (i, shape) in shapes.enumerated() {
            let size = try FileManager.default.attributesOfItem(atPath: directory + "/pytorch_layer\(i + 1).npy")[.size]
            #expect((size as? NSNumber)?.intValue == NumPyFile.byteCount(shape: shape))
        }
        let report = InitReport(plan: plan, widthsSpec: "w", npyDirectory: directory, files: files)
        #expect(report.table().hasSuffix("pytorch: Uniform(-b, b) with b = sqrt(3) std; written to pytorch_layer1.npy "
            + "... pytorch_layer2.npy in \(directory)"))
    }

    @Test func aFileWhereTheDirectoryShouldBeIsAnOutputFailure() throws {
        let path = Scratch.path("init")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        do {
            _ = try Self.plan([Self.gaussian]).writeNPY(directory: path)
            Issue.record("wrote into a file")
        } catch let failure as OutputFailure {
            #expect(failure.message == "npy: '\(path)' exists and is not a directory")
        }
    }
}
