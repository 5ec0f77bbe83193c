import Foundation
import SNNFormats
import SNNModel
import SNNReports
import SNNTheory
import SNNTestSupport
import Testing

/// `predict`'s report: the JSON record of each layer and initialization, the CSV's rows, the table's selection of
/// layers, and what a missing or non-finite value becomes.
@Suite struct PredictReportTests {
    static let layerFields = ["layer", "fan_in", "width", "weight_variance", "weight_std", "membrane_variance",
                              "log10_membrane_variance", "rate", "log10_rate", "silent", "fixed_point_slope",
                              "depth_scale"]

    static func report(depth: Int, width: Int = 100, theta: Double = 1, steps: Int = 1,
                       input: InputEncoding = .bernoulli(rate: 0.2), schemes: [InitScheme] = [.paper]) throws
        -> PredictReport
    {
        let base = try Network(architecture: Architecture(inputSize: width, width: width, depth: depth),
                               neuron: NeuronModel(threshold: theta), steps: steps, input: input)
        let predictions = try schemes.map { scheme in
            let network = try base.initialized(.scheme(scheme, targetVariance: 1)).resolved()
            return SchemePrediction(scheme: scheme.description, layers: try VarianceRecursion.firstStep(network),
                                    temporal: steps > 1 ? try TemporalKernel.propagate(network) : nil,
                                    finiteWidth: nil)
        }
        return PredictReport(architecture: base.architecture, neuron: base.neuron, input: base.input, steps: steps,
                             targetVariance: 1, predictions: predictions)
    }

    @Test func jsonOfOneInitializationHasTheModelTheVerdictAndOneRecordPerLayer() throws {
        let report = try Self.report(depth: 7, width: 50)
        let json = report.json()
        #expect(Read.keys(json) == ["model", "verdict", "layers"])
        #expect(json["verdict"] == .string(report.predictions[0].verdict))
        let model = json["model"]
        #expect(model?["command"] == .string("predict") && model?["version"] == .string(ToolVersion.current))
        #expect(model?["depth"] == .integer(7))
        #expect(model?["widths"] == .array(Array(repeating: .integer(50), count: 8)))
        let layers = Read.array(json["layers"])
        #expect(layers.count == 7)
        for (i, layer) in layers.enumerated() {
            #expect(Read.keys(layer) == Self.layerFields)
            #expect(layer["layer"] == .integer(i + 1) && layer["fan_in"] == .integer(50))
        }
    }

    @Test func severalInitializationsEachGetTheirNameVerdictAndLayers() throws {
        let json = try Self.report(depth: 5, schemes: [.paper, .kaiming]).json()
        #expect(Read.keys(json) == ["model", "predictions"])
        #expect(json["model"]?["init"] == .string("paper,kaiming"))
        let predictions = Read.array(json["predictions"])
        #expect(predictions.map { $0["init"] } == [.string("paper"), .string("kaiming")])
        for p in predictions {
            #expect(Read.keys(p) == ["init", "verdict", "layers"])
            #expect(Read.array(p["layers"]).count == 5)
        }
    }

    @Test func csvHasAHeaderAndOneRowPerLayerAndScheme() throws {
        let (header, rows) = Read.csv(try Self.report(depth: 4, schemes: [.paper, .glorot, .lecun]).csv())
        #expect(header == ["init"] + Self.layerFields)
        #expect(rows.count == 3 * 4)
        #expect(rows.map { $0[0] } == ["paper", "glorot", "lecun"].flatMap { Array(repeating: $0, count: 4) })
        #expect(rows.map { $0[1] } == Array(repeating: ["1", "2", "3", "4"], count: 3).flatMap { $0 })
        #expect(rows.allSatisfy { $0.count == header.count })
    }

    /// With T steps each layer takes T rows, one per step, its first-step fields repeated.
    @Test func csvOfSeveralStepsHasOneRowPerLayerSchemeAndStep() throws {
        let (header, rows) = Read.csv(try Self.report(depth: 3, steps: 2, schemes: [.paper, .kaiming]).csv())
        let t = try #require(header.firstIndex(of: "t"))
        #expect(rows.count == 2 * 3 * 2)
        #expect(rows.map { $0[t] } == Array(repeating: ["1", "2"], count: 6).flatMap { $0 })
        #expect(rows.allSatisfy { $0.count == header.count })
    }

    /// Layer 1 has no slope chi (its input is not a membrane variance), so no depth scale: JSON null and an empty
    /// CSV field. Kaiming's variance at theta 1 falls below Double's range by layer 4 (4.4e-771) and the logarithms
    /// of later layers below any Double: those are null and empty too, never "nan" or "-inf".
    @Test func missingAndNonFiniteValuesAreJSONNullAndEmptyCSVFields() throws {
        let report = try Self.report(depth: 8, width: 1000, input: .bernoulli(rate: 0.158655253931457),
                                     schemes: [.kaiming])
        let json = report.json(), csv = report.csv()
        let layers = Read.array(json["layers"])
        let (header, rows) = Read.csv(csv)
        let slope = try #require(header.firstIndex(of: "fixed_point_slope"))
        let scale = try #require(header.firstIndex(of: "depth_scale"))
        #expect(layers[0]["fixed_point_slope"] == .null && layers[0]["depth_scale"] == .null)
        #expect(rows[0][slope].isEmpty && rows[0][scale].isEmpty)
        #expect(layers[1]["fixed_point_slope"] != .null && !rows[1][slope].isEmpty)
        let logRate = try #require(header.firstIndex(of: "log10_rate"))
        var nonFinite = 0
        for (i, l) in report.predictions[0].layers.enumerated() {
            let value = l.logRate / log(10.0)
            if value.isFinite {
                #expect(layers[i]["log10_rate"] == .number(value) && rows[i][logRate] == "\(value)")
            } else {
                nonFinite += 1
                #expect(layers[i]["log10_rate"] == .null && rows[i][logRate].isEmpty, "layer \(i + 1)")
            }
        }
        #expect(nonFinite > 0)
        for text in [json.rendered(), csv] { #expect(!text.contains("nan") && !text.contains("-inf")) }
    }

    /// Up to 20 layers the table shows them all; deeper, the first five, then every 10th (every 100th past 200
    /// layers) and the last.
    @Test func tableShowsEveryLayerUpTo20AndASelectionBeyond() throws {
        func shown(_ depth: Int, all: Bool = false) throws -> [String] {
            Read.firstColumn(ofTableIn: try Self.report(depth: depth, width: 20).table(allLayers: all))
        }
        #expect(try shown(20) == (1...20).map(String.init))
        #expect(try shown(35) == ["1", "2", "3", "4", "5", "10", "20", "30", "35"])
        #expect(try shown(35, all: true) == (1...35).map(String.init))
        #expect(try shown(250) == ["1", "2", "3", "4", "5", "100", "200", "250"])
    }

    @Test func tableEndsWithEachInitializationsVerdict() throws {
        let report = try Self.report(depth: 30, schemes: [.paper, .kaiming])
        let lines = report.table(allLayers: false).split(separator: "\n").suffix(2)
        #expect(lines.map(String.init) == report.predictions.map { "\($0.scheme): \($0.verdict)" })
    }

    @Test func figureHasAPanelPerQuantityAndALinePerInitialization() throws {
        let svg = Figures.predict(try Self.report(depth: 10, schemes: [.paper, .kaiming])).render()
        #expect(svg.contains("Membrane variance at t = 1") && svg.contains("Spike rate at t = 1"))
        #expect(svg.contains("data-series=\"paper\"") && svg.contains("data-series=\"kaiming\""))
    }
}
