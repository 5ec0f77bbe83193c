import Foundation
import SNNFormats
import SNNModel
import SNNReports
import SNNSimulator
import SNNTheory
import SNNTestSupport
import Testing

/// `simulate`'s report: one JSON record per layer (with its steps when T > 1), one CSV row per layer and step, and a
/// standard error only where there are networks to take it over.
@Suite struct SimulationReportTests {
    static func statistics(depth: Int = 3, steps: Int = 2, networks: Int = 3) throws -> SimulationStatistics {
        let network = try Network(architecture: Architecture(inputSize: 40, width: 40, depth: depth),
                                  neuron: NeuronModel(threshold: 1), steps: steps, input: .bernoulli(rate: 0.2))
            .resolved()
        return Simulator.run(try SimulationConfiguration(network: network, batch: 2, networks: networks, seed: 7))
    }

    @Test func jsonHasOneRecordPerLayerAndCSVOneRowPerLayerAndStep() throws {
        let report = SimulationReport(statistics: try Self.statistics(), scheme: "paper", targetVariance: 1,
                                      method: "full")
        let json = report.json()
        #expect(json["model"]?["networks"] == .integer(3) && json["model"]?["steps"] == .integer(2))
        let layers = Read.array(json["layers"])
        #expect(layers.map { $0["layer"] } == [.integer(1), .integer(2), .integer(3)])
        #expect(layers.allSatisfy { Read.array($0["steps"]).count == 2 })
        let (header, rows) = Read.csv(report.csv())
        #expect(header.prefix(2) == ["layer", "t"])
        #expect(rows.map { "\($0[0]):\($0[1])" } == ["1:1", "1:2", "2:1", "2:2", "3:1", "3:2"])
        #expect(rows.allSatisfy { $0.count == header.count })
    }

    /// A standard error needs two networks: with one, JSON null and an empty CSV field, and the table no "±".
    @Test func oneNetworkHasNoStandardError() throws {
        let report = SimulationReport(statistics: try Self.statistics(steps: 1, networks: 1), scheme: "paper",
                                      targetVariance: 1, method: "full")
        #expect(Read.array(report.json()["layers"]).allSatisfy { $0["rate_stderr"] == .null })
        let (header, rows) = Read.csv(report.csv())
        let column = try #require(header.firstIndex(of: "rate_stderr"))
        #expect(rows.count == 3 && rows.allSatisfy { $0[column].isEmpty })
        #expect(Read.tableRows(in: report.table(allLayers: false)).allSatisfy { !$0.contains("±") })
        #expect(Read.firstColumn(ofTableIn: report.table(allLayers: false)) == ["1", "2", "3"])
    }

    @Test func throughputCountsOnlyTheNetworksSimulatedHere() throws {
        let s = try Self.statistics()
        #expect(Throughput.line(s).hasPrefix("snn-theory: simulated 3 network(s) in "))
        let resumed = Throughput.line(s, resumed: 1)
        #expect(resumed.hasPrefix("snn-theory: simulated 2 network(s) in "))
        #expect(resumed.hasSuffix("; 1 taken from the resumed file\n"))
    }

    @Test func figureShowsTheMeanFieldAndTheFirstAndLastStep() throws {
        let s = try Self.statistics()
        let prediction = try VarianceRecursion.firstStep(s.configuration.network)
        let svg = Figures.simulate(s, scheme: "paper", prediction: prediction).render()
        for series in ["mean field, t = 1", "simulation, t = 1", "simulation, t = 2", "simulation, mean over t = 1..2"] {
            #expect(svg.contains("data-series=\"\(series)\""), "\(series)")
        }
    }
}
