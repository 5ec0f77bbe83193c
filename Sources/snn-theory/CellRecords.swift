import Foundation
import SNNVerification

/// A finished `compare` cell as one line of a JSON Lines file: `{"model": {the sweep's settings}, "width": ...}`,
/// the settings followed by the cell's fields exactly as `compare --format json` prints them. Each line alone says
/// how it was made; `--resume` and `merge` read the lines back.
///
/// Every output of `compare` and `merge` is rendered from cells read back from their lines (`normalized`), so a run
/// that was interrupted and resumed, a merge of shards, and one uninterrupted run print the same bytes.
enum CellRecord {
    struct Malformed: Error {
        let reason: String
    }

    static func line(model: JSON, cell: CellComparison) -> String {
        guard case let .object(fields) = CompareReport.cellJSON(cell) else { preconditionFailure("cellJSON is an object") }
        return JSON.object([("model", model)] + fields).rendered(pretty: false)
    }

    /// The cell as it reads back from its line.
    static func normalized(_ cell: CellComparison) throws -> CellComparison {
        try decode(line(model: .object([]), cell: cell)).cell
    }

    /// Reads one line back; refuses anything that does not re-render to exactly the same text, so a damaged or
    /// hand-edited line is never taken for a result.
    static func decode(_ text: String) throws -> (model: JSON, cell: CellComparison) {
        let value: JSON
        do { value = try JSONParser.parse(text) } catch let failure as JSONParser.Failure {
            throw Malformed(reason: "not JSON: \(failure)")
        }
        guard case let .object(pairs) = value, let model = value["model"], case .object = model else {
            throw Malformed(reason: "not a cell record (no \"model\" object)")
        }
        let cell: CellComparison
        do {
            let codable = try codableCell(.object(pairs.filter { $0.0 != "model" }))
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf",
                                                                            negativeInfinity: "-inf", nan: "nan")
            cell = try decoder.decode(CellComparison.self, from: Data(codable.rendered(pretty: false).utf8))
        } catch let error as Malformed {
            throw error
        } catch {
            throw Malformed(reason: "a field is missing or has the wrong type")
        }
        guard line(model: model, cell: cell) == text else {
            throw Malformed(reason: "its fields differ from the record this version writes for that cell")
        }
        return (model, cell)
    }

    /// The cell's fields rearranged into `CellComparison`'s Codable form. A `.number` field that is null was not a
    /// finite number, and comes back as NaN.
    private static func codableCell(_ c: JSON) throws -> JSON {
        func number(_ j: JSON?, _ name: String) throws -> JSON {
            switch j {
            case let .number(x)?: return .number(x)
            case let .integer(n)?: return .number(Double(n))
            case .null?: return .string("nan")
            default: throw Malformed(reason: "\"\(name)\" is not a number")
            }
        }
        func optional(_ j: JSON?, _ name: String) throws -> JSON {
            if case .null? = j { return .null }
            return try number(j, name)
        }
        func integer(_ j: JSON?, _ name: String) throws -> JSON {
            guard case let .integer(n)? = j else { throw Malformed(reason: "\"\(name)\" is not an integer") }
            return .integer(n)
        }
        func optionalInteger(_ j: JSON?, _ name: String) throws -> JSON {
            switch j {
            case nil, .null?: return .null
            default: return try integer(j, name)
            }
        }
        func string(_ j: JSON?, _ name: String) throws -> JSON {
            guard case let .string(s)? = j else { throw Malformed(reason: "\"\(name)\" is not a string") }
            return .string(s)
        }
        guard case let .array(layers)? = c["layers"], !layers.isEmpty else {
            throw Malformed(reason: "\"layers\" is not a list of layers")
        }
        let silentError = try optional(c["silent_fraction"]?["empirical_stderr"], "silent_fraction.empirical_stderr")
        let codableLayers = try layers.enumerated().map { i, l -> JSON in
            let p = l["predicted"], e = l["empirical"]
            // Present when T > 1.
            var averaged = JSON.null
            if p?["time_averaged_rate"] != nil {
                averaged = .object([
                    ("predictedRate", try number(p?["time_averaged_rate"], "predicted.time_averaged_rate")),
                    ("predictedRateError", try number(p?["time_averaged_rate_stderr"],
                                                      "predicted.time_averaged_rate_stderr")),
                    ("empiricalRate", try number(e?["time_averaged_rate"], "empirical.time_averaged_rate")),
                    ("empiricalRateError", try optional(e?["time_averaged_rate_stderr"],
                                                        "empirical.time_averaged_rate_stderr")),
                    ("empiricalSpread", try optional(e?["time_averaged_rate_spread"],
                                                     "empirical.time_averaged_rate_spread")),
                ])
            }
            return .object([
                ("layer", try integer(l["layer"], "layer")),
                ("predictedVariance", try number(p?["membrane_variance"], "predicted.membrane_variance")),
                ("predictedRate", try number(p?["rate"], "predicted.rate")),
                ("finiteWidthRate", try optional(p?["finite_width_rate"], "predicted.finite_width_rate")),
                ("finiteWidthSilentProbability", try optional(p?["silent_probability"], "predicted.silent_probability")),
                ("empiricalVariance", try number(e?["membrane_variance"], "empirical.membrane_variance")),
                ("empiricalVarianceError", try optional(e?["membrane_variance_stderr"], "empirical.membrane_variance_stderr")),
                ("empiricalRate", try number(e?["rate"], "empirical.rate")),
                ("empiricalRateError", try optional(e?["rate_stderr"], "empirical.rate_stderr")),
                ("empiricalSilentFraction", try number(e?["silent_fraction"], "empirical.silent_fraction")),
                // Recorded for the last layer only (the cell's silent fraction).
                ("empiricalSilentFractionError", i == layers.count - 1 ? silentError : .null),
                ("fixedPointSlope", try optional(p?["fixed_point_slope"], "predicted.fixed_point_slope")),
                ("timeAveraged", averaged),
            ])
        }
        return .object([
            ("cell", .object([
                ("width", try integer(c["width"], "width")),
                ("theta", try number(c["theta"], "theta")),
                ("beta", try number(c["beta"], "beta")),
                ("scheme", try string(c["init"], "init")),
            ])),
            ("layers", .array(codableLayers)),
            ("holdsToDepth", try integer(c["holds_to_depth"], "holds_to_depth")),
            ("driftsFromLayer", try optionalInteger(c["time_averaged_drift"]?["outside_from_layer"],
                                                    "time_averaged_drift.outside_from_layer")),
            ("verdict", try string(c["verdict"], "verdict")),
        ])
    }
}

/// The records of a JSON Lines file of cells.
struct CellFileContents {
    struct Entry {
        /// 1-based line number in the file.
        let line: Int
        let model: JSON
        let cell: CellComparison
    }

    let entries: [Entry]
    /// The bytes up to the end of the last whole line.
    let wholeLength: Int
    /// The bytes of a last line without its newline (a write cut short by a kill or a full disk); 0 if none.
    let truncatedLength: Int

    /// Parses the whole lines of `data`; a last line without a newline is set aside (`truncatedLength`), a whole line
    /// that is not a record is refused. `parameter` and `name` go into the one-line message.
    static func parse(_ data: Data, name: String, parameter: String) throws -> CellFileContents {
        let lines = JSONLines(data)
        var entries: [Entry] = []
        for (number, text) in lines.lines {
            do {
                let (model, cell) = try CellRecord.decode(text)
                entries.append(Entry(line: number, model: model, cell: cell))
            } catch let error as CellRecord.Malformed {
                throw CommandFailure(message: "\(parameter): line \(number) of '\(name)' is not a whole cell record "
                    + "(\(error.reason)); remove that line or use another file")
            }
        }
        return CellFileContents(entries: entries, wholeLength: lines.wholeLength,
                                truncatedLength: lines.truncatedLength)
    }
}

/// The whole lines of a JSON Lines file: each non-blank line ended by a newline, with its 1-based number, and the
/// length of the bytes they span; a last line without its newline (a write cut short) is left out.
struct JSONLines {
    let lines: [(number: Int, text: String)]
    let wholeLength: Int
    let truncatedLength: Int

    init(_ data: Data) {
        let bytes = [UInt8](data)
        var lines: [(number: Int, text: String)] = []
        var start = 0, number = 0
        while let end = bytes[start...].firstIndex(of: 0x0A) {
            number += 1
            let text = String(decoding: bytes[start..<end], as: UTF8.self)
            start = end + 1
            if !text.allSatisfy(\.isWhitespace) { lines.append((number, text)) }
        }
        self.lines = lines
        wholeLength = start
        truncatedLength = bytes.count - start
    }
}

/// A JSON Lines file of cells, open for appending and locked (flock) against a second writer for as long as the
/// process lives. Each line is written with one write call and fsynced; a write that fails part-way is cut back, so
/// the file only ever holds whole lines (a kill can still cut the last one short: `--resume` drops it).
final class CellFile: @unchecked Sendable {
    let path: String
    private let descriptor: Int32
    private var length: off_t

    init(path: String, parameter: String) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw CommandFailure(message: "\(parameter): cannot open '\(path)': \(String(cString: strerror(errno)))")
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0, errno == EWOULDBLOCK {
            close(fd)
            throw CommandFailure(message: "\(parameter): '\(path)' is being written by another snn-theory process")
        }
        self.path = path
        descriptor = fd
        length = lseek(fd, 0, SEEK_END)
    }

    deinit { close(descriptor) }

    var isEmpty: Bool { length == 0 }

    func contents() throws -> Data {
        var data = Data(count: Int(length))
        let read = data.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, Int(length), 0) }
        guard read == Int(length) else {
            throw CommandFailure(message: "resume: cannot read '\(path)': \(String(cString: strerror(errno)))")
        }
        return data
    }

    /// Cuts the file to its first `bytes` bytes (dropping a truncated last line).
    func truncate(to bytes: Int) throws {
        guard ftruncate(descriptor, off_t(bytes)) == 0 else {
            throw CommandFailure(message: "resume: cannot truncate '\(path)': \(String(cString: strerror(errno)))")
        }
        length = off_t(bytes)
    }

    func append(_ line: String) throws {
        let bytes = Array((line + "\n").utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                _ = ftruncate(descriptor, length)
                throw CommandFailure(message: "output: cannot write to '\(path)': \(reason)")
            }
            written += n
        }
        _ = fsync(descriptor)
        length += off_t(bytes.count)
    }
}
