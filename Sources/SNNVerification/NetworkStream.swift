import Foundation
import SNNFormats
import SNNSimulator

/// A simulation's finished networks as a JSON Lines file, one line per network, appended with one write call and
/// fsynced as the network finishes (`JSONLinesFile`), so a run that is killed keeps every network it finished; a
/// resumed run takes those networks as they are and simulates the rest (`simulate --output FILE`, `--resume FILE`).
/// Each line carries the run's whole model record and its weight variances, and a resumed run accepts only lines
/// whose model is its own.
///
/// Line: {"model":{...},"network":r,"layers":[{"membrane_mean":[..T],"membrane_variance":[..T],"rate":[..T],
/// "silent":b}, ...]}. Numbers are written in their shortest round-trip form, so the resumed statistics are the
/// same bits as an uninterrupted run's.
public final class NetworkStream: @unchecked Sendable {
    /// Why a file of networks is refused. The description is the sentence after the option that named the file.
    public enum FileError: Error, Equatable, CustomStringConvertible {
        /// A new run's file that already holds something.
        case notEmpty(file: String)
        /// A line whose model record is not this run's.
        case otherRun(file: String, line: Int)
        /// A line that does not read back as the record this version writes.
        case notARecord(file: String, line: Int)
        case repeated(file: String, line: Int, network: Int)

        public var description: String {
            switch self {
            case let .notEmpty(file):
                "'\(file)' already holds networks"
            case let .otherRun(file, line):
                "line \(line) of '\(file)' is not a network of this run (its model record differs from this command's "
                    + "options); use the options that wrote it, or another file"
            case let .notARecord(file, line):
                "line \(line) of '\(file)' is not a whole network record; remove that line or use another file"
            case let .repeated(file, line, network):
                "line \(line) of '\(file)' repeats network \(network); the file was edited or written twice"
            }
        }
    }

    /// The networks a resumed file holds (none for a new run).
    public let completed: [NetworkRecord]
    /// What reading a resumed file set aside, one sentence each ("warning: ...").
    public let warnings: [String]
    private let file: JSONLinesFile
    private let prefix: String
    private let steps: Int
    private let lock = NSLock()
    private var failure: JSONLinesFile.Failure?

    /// Opens `path` for the run of `c`, whose records carry `model` and the run's weight variances: a new run's file
    /// must be new or empty; a resumed run's lines must each be a network of this run, each network once
    /// (`FileError`), and a last line cut short by a kill is dropped (that network runs again). Throws
    /// `JSONLinesFile.Failure` when the file cannot be opened, read or cut, or is locked.
    public init(path: String, resuming: Bool, model: [(String, JSON)], configuration c: SimulationConfiguration) throws {
        let record = JSON.object(model + [("weight_variances", .array(c.weightVariances.map { .number($0) }))])
        let prefix = "{\"model\":" + record.rendered(pretty: false) + ",\"network\":"
        let file = try JSONLinesFile(path: path)
        var records: [NetworkRecord] = [], warnings: [String] = []
        if resuming {
            let contents = JSONLines(try file.contents())
            var seen = Set<Int>()
            for (number, text) in contents.lines {
                guard text.hasPrefix(prefix) else { throw FileError.otherRun(file: path, line: number) }
                guard let parsed = Self.decode(text, prefix: prefix, configuration: c) else {
                    throw FileError.notARecord(file: path, line: number)
                }
                guard seen.insert(parsed.network).inserted else {
                    throw FileError.repeated(file: path, line: number, network: parsed.network)
                }
                records.append(parsed)
            }
            if contents.truncatedLength > 0 {
                try file.truncate(to: contents.wholeLength)
                warnings.append("warning: dropped a last line cut short (\(contents.truncatedLength) bytes) from "
                    + "'\(path)'; that network runs again")
            }
        } else {
            guard file.isEmpty else { throw FileError.notEmpty(file: path) }
        }
        self.file = file
        self.prefix = prefix
        steps = c.steps
        completed = records
        self.warnings = warnings
    }

    /// The line of one network.
    public func line(_ record: NetworkRecord) -> String {
        Self.line(record, prefix: prefix, steps: steps)
    }

    private static func line(_ record: NetworkRecord, prefix: String, steps: Int) -> String {
        let layers = record.silent.indices.map { l -> JSON in
            let range = l * steps..<(l + 1) * steps
            return .object([
                ("membrane_mean", .array(record.membraneMeans[range].map { .number($0) })),
                ("membrane_variance", .array(record.membraneVariances[range].map { .number($0) })),
                ("rate", .array(record.rates[range].map { .number($0) })),
                ("silent", .bool(record.silent[l])),
            ])
        }
        return prefix + "\(record.network),\"layers\":" + JSON.array(layers).rendered(pretty: false) + "}"
    }

    /// A network's line as `line` writes it, for JSONDecoder (the model record is checked as text, by its prefix).
    private struct Line: Decodable {
        struct Layer: Decodable {
            let membraneMeans: [Double]
            let membraneVariances: [Double]
            let rates: [Double]
            let silent: Bool

            enum CodingKeys: String, CodingKey {
                case membraneMeans = "membrane_mean", membraneVariances = "membrane_variance", rates = "rate", silent
            }
        }

        let network: Int
        let layers: [Layer]
    }

    /// Reads a line back exactly (JSONDecoder parses the shortest round-trip numbers to the same bits), and accepts
    /// it only if writing the record again gives the same text, so any edit or damage is refused.
    private static func decode(_ text: String, prefix: String, configuration c: SimulationConfiguration)
        -> NetworkRecord?
    {
        guard let read = try? JSONDecoder().decode(Line.self, from: Data(text.utf8)) else { return nil }
        let record = NetworkRecord(network: read.network, membraneMeans: read.layers.flatMap(\.membraneMeans),
                                   membraneVariances: read.layers.flatMap(\.membraneVariances),
                                   rates: read.layers.flatMap(\.rates), silent: read.layers.map(\.silent))
        let plausible = record.rates.allSatisfy { (0...1).contains($0) }
            && record.membraneVariances.allSatisfy { $0 >= 0 } && record.membraneMeans.allSatisfy(\.isFinite)
        return record.fits(c) && plausible && line(record, prefix: prefix, steps: c.steps) == text ? record : nil
    }

    /// Appends one finished network (called from the simulators' worker threads). A write that fails is kept for
    /// `finish`, and nothing more is written.
    @Sendable public func append(_ record: NetworkRecord) {
        let text = line(record)
        lock.lock()
        defer { lock.unlock() }
        guard failure == nil else { return }
        do { try file.append(text) } catch { failure = error }
    }

    /// Throws the first write failure, if any.
    public func finish() throws(JSONLinesFile.Failure) {
        lock.lock()
        defer { lock.unlock() }
        if let failure { throw failure }
    }
}
