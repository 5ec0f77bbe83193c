import Foundation
import SNNFormats
import SNNModel
import SNNSimulator
import Testing
@testable import SNNVerification

/// `simulate`'s stream of finished networks: written as they finish, taken back by a resumed run.
@Suite struct NetworkStreamTests {
    static let model: [(String, JSON)] = [("tool", .string("snn-theory")), ("seed", .integer(5))]

    static func configuration(networks: Int = 4) throws -> SimulationConfiguration {
        let network = try Network(architecture: Architecture(inputSize: 20, width: 20, depth: 2),
                                  neuron: NeuronModel(threshold: 1, leak: 0.9), steps: 2, input: .bernoulli(rate: 0.2),
                                  initialization: .variances([0.05, 0.05], name: "paper"))
        return try SimulationConfiguration(network: network, networks: networks, seed: 5)
    }

    /// Network r of a 2-layer, 2-step run, with values that need every digit (1/3, 1e-300, -0.0, the least nonzero magnitude).
    static func record(_ r: Int) -> NetworkRecord {
        NetworkRecord(network: r, membraneMeans: [0.1, -0.0, 1e-300, Double(r)],
                      membraneVariances: [1.0 / 3, 2, 0, .leastNonzeroMagnitude], rates: [0.25, 0.5, 0, 1], silent: [false, r == 1])
    }

    @Test func networksWrittenAndResumedAreTheSameRecords() throws {
        let path = SweepFixtures.temporaryFile("networks")
        defer { SweepFixtures.remove(path) }
        let c = try Self.configuration()
        do {
            let stream = try NetworkStream(path: path, resuming: false, model: Self.model, configuration: c)
            #expect(stream.completed.isEmpty)
            for r in [2, 0, 1] { stream.append(Self.record(r)) }
            try stream.finish()
        }
        let resumed = try NetworkStream(path: path, resuming: true, model: Self.model, configuration: c)
        #expect(resumed.completed == [2, 0, 1].map(Self.record))
        #expect(resumed.completed.map(\.membraneMeans[1].sign) == [.minus, .minus, .minus])
        #expect(resumed.warnings.isEmpty)
        let line = resumed.line(Self.record(0))
        #expect(line.hasPrefix("{\"model\":{\"tool\":\"snn-theory\",\"seed\":5,\"weight_variances\":[0.05, 0.05]},"
            + "\"network\":0,\"layers\":[{\"membrane_mean\":[0.1, -0.0],"))
    }

    @Test func aCutOffLastNetworkIsDroppedAndRunsAgain() throws {
        let path = SweepFixtures.temporaryFile("networks-cut")
        defer { SweepFixtures.remove(path) }
        let c = try Self.configuration()
        let lines = try {
            let stream = try NetworkStream(path: path, resuming: false, model: Self.model, configuration: c)
            return [0, 1, 2].map { stream.line(Self.record($0)) }
        }()
        try SweepFixtures.write(lines, to: path, cutLast: 40)
        let resumed = try NetworkStream(path: path, resuming: true, model: Self.model, configuration: c)
        #expect(resumed.completed == [0, 1].map(Self.record))
        let cut = lines[2].utf8.count + 1 - 40
        #expect(resumed.warnings == ["warning: dropped a last line cut short (\(cut) bytes) from '\(path)'; that "
            + "network runs again"])
        #expect(try SweepFixtures.contents(path) == lines.prefix(2).map { $0 + "\n" }.joined())
    }

    /// Another run's line, an edited line, a network twice, and a new run's file that is not empty are refused.
    @Test func foreignEditedRepeatedAndExistingFilesAreRefused() throws {
        let path = SweepFixtures.temporaryFile("networks-refused")
        defer { SweepFixtures.remove(path) }
        let c = try Self.configuration()
        let line = try {
            let stream = try NetworkStream(path: path, resuming: false, model: Self.model, configuration: c)
            return stream.line(Self.record(0))
        }()
        let cases: [([String], NetworkStream.FileError)] = [
            ([line.replacingOccurrences(of: "\"seed\":5", with: "\"seed\":6")], .otherRun(file: path, line: 1)),
            ([line.replacingOccurrences(of: "\"rate\":[0.25", with: "\"rate\":[0.250")],
             .notARecord(file: path, line: 1)),
            ([line.replacingOccurrences(of: "\"rate\":[0.25", with: "\"rate\":[1.25")],
             .notARecord(file: path, line: 1)),
            ([line, line], .repeated(file: path, line: 2, network: 0)),
        ]
        for (lines, refusal) in cases {
            try SweepFixtures.write(lines, to: path)
            #expect(throws: refusal) {
                try NetworkStream(path: path, resuming: true, model: Self.model, configuration: c)
            }
        }
        // Network 4 of a run of 4 (0 to 3) does not fit.
        try SweepFixtures.write([line.replacingOccurrences(of: "\"network\":0", with: "\"network\":4")], to: path)
        #expect(throws: NetworkStream.FileError.notARecord(file: path, line: 1)) {
            try NetworkStream(path: path, resuming: true, model: Self.model, configuration: c)
        }
        #expect(throws: NetworkStream.FileError.notEmpty(file: path)) {
            try NetworkStream(path: path, resuming: false, model: Self.model, configuration: c)
        }
    }
}
