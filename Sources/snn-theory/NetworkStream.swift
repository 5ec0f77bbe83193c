import Foundation
import SNNFormats
import SNNSimulator

/// `simulate --output FILE` and `--resume FILE`: one JSON line per finished network, appended with one write call and
/// fsynced as the network finishes (`JSONLinesFile`), so a run that is killed keeps every network it finished; a
/// resumed run takes those networks as they are and simulates the rest. Each line carries the run's whole model record
/// and its weight variances, and a resumed run accepts only lines whose model is its own.
///
/// Line: {"model":{...},"network":r,"layers":[{"membrane_mean":[..T],"membrane_variance":[..T],"rate":[..T],
/// "silent":b}, ...]}. Numbers are written in their shortest round-trip form, so the resumed statistics are the
/// same bits as an uninterrupted run's.
final class NetworkStream: @unchecked Sendable {
    let completed: [NetworkRecord]
    private let file: JSONLinesFile
    private let prefix: String
    private let steps: Int
    private let lock = NSLock()
    private var failure: Error?

    private init(file: JSONLinesFile, prefix: String, steps: Int, completed: [NetworkRecord]) {
        self.file = file
        self.prefix = prefix
        self.steps = steps
        self.completed = completed
    }

    /// The stream of `--output` (a new or empty file) or `--resume` (its records read back); nil without either.
    static func open(output: String?, resume: String?, model: [(String, JSON)],
                     configuration c: SimulationConfiguration) throws -> NetworkStream?
    {
        guard let path = resume ?? output else { return nil }
        let parameter = resume != nil ? "resume" : "output"
        let record = JSON.object(model + [("weight_variances", .array(c.weightVariances.map { .number($0) }))])
        let prefix = "{\"model\":" + record.rendered(pretty: false) + ",\"network\":"
        let file = try CommandFailure.reporting(parameter) { try JSONLinesFile(path: path) }
        guard resume != nil else {
            guard file.isEmpty else {
                throw CommandFailure(message: "output: '\(path)' already holds networks; continue that run with "
                    + "--resume \(path), or choose another file")
            }
            return NetworkStream(file: file, prefix: prefix, steps: c.steps, completed: [])
        }
        let reader = NetworkStream(file: file, prefix: prefix, steps: c.steps, completed: [])
        let contents = JSONLines(try CommandFailure.reporting("resume") { try file.contents() })
        var records: [NetworkRecord] = [], seen = Set<Int>()
        for (number, text) in contents.lines {
            let fail = { (why: String) in
                CommandFailure(message: "resume: line \(number) of '\(path)' \(why)")
            }
            guard text.hasPrefix(prefix) else {
                throw fail("is not a network of this run (its model record differs from this command's options); "
                    + "use the options that wrote it, or another file")
            }
            guard let parsed = reader.decode(text, configuration: c) else {
                throw fail("is not a whole network record; remove that line or use another file")
            }
            guard seen.insert(parsed.network).inserted else {
                throw fail("repeats network \(parsed.network); the file was edited or written twice")
            }
            records.append(parsed)
        }
        if contents.truncatedLength > 0 {
            // A last line without its newline: a write cut short by a kill. Drop it, and say so; that network runs
            // again.
            try CommandFailure.reporting("resume") { try file.truncate(to: contents.wholeLength) }
            FileHandle.standardError.write(Data(("warning: dropped a last line cut short (\(contents.truncatedLength) "
                + "bytes) from '\(path)'; that network runs again\n").utf8))
        }
        return NetworkStream(file: file, prefix: prefix, steps: c.steps, completed: records)
    }

    /// The line of one network.
    func line(_ record: NetworkRecord) -> String {
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
    func decode(_ text: String, configuration c: SimulationConfiguration) -> NetworkRecord? {
        guard let read = try? JSONDecoder().decode(Line.self, from: Data(text.utf8)) else { return nil }
        let record = NetworkRecord(network: read.network, membraneMeans: read.layers.flatMap(\.membraneMeans),
                                   membraneVariances: read.layers.flatMap(\.membraneVariances),
                                   rates: read.layers.flatMap(\.rates), silent: read.layers.map(\.silent))
        let plausible = record.rates.allSatisfy { (0...1).contains($0) }
            && record.membraneVariances.allSatisfy { $0 >= 0 } && record.membraneMeans.allSatisfy(\.isFinite)
        return record.fits(c) && plausible && line(record) == text ? record : nil
    }

    /// Appends one finished network (called from the simulators' worker threads).
    @Sendable func append(_ record: NetworkRecord) {
        let text = line(record)
        lock.lock()
        defer { lock.unlock() }
        guard failure == nil else { return }
        do { try file.append(text) } catch { failure = CommandFailure(error, parameter: "output") }
    }

    /// Throws the first write failure, if any.
    func finish() throws {
        lock.lock()
        defer { lock.unlock() }
        if let failure { throw failure }
    }
}
