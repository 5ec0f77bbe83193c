import Foundation
import SNNFormats
import SNNModel

/// A finished `compare` cell as one line of a JSON Lines file: `{"model": {the sweep's settings}, "width": ...}`,
/// the settings (`SweepHeader`) followed by the cell's fields exactly as `compare --format json` prints them
/// (`fields`). Each line alone says how it was made; a resumed sweep and `merge` read the lines back with `decode`.
///
/// Every output of `compare` and `merge` is rendered from cells as their lines hold them (`normalized` takes a
/// computed cell through its line's fields), so a run that was interrupted and resumed, a merge of shards, and one
/// uninterrupted run print the same bytes.
public enum CellRecord {
    public struct Malformed: Error {
        public let reason: String
    }

    public static func line(model: JSON, cell: CellComparison) -> String {
        JSON.object([("model", model)] + fields(cell)).rendered(pretty: false)
    }

    /// The cell as it reads back from its line (the same fields, without writing and reading the text).
    public static func normalized(_ cell: CellComparison) throws(Malformed) -> CellComparison {
        try self.cell(.object(fields(cell)))
    }

    /// The cell's fields, in the order written: its settings and verdict, the silent fraction and (T > 1) the
    /// time-averaged rate at the last layer, then each layer's predicted, empirical and deviation fields.
    public static func fields(_ c: CellComparison) -> [(String, JSON)] {
        let last = c.layers.last
        let head: [(String, JSON)] = [
            ("width", .integer(c.cell.width)),
            ("theta", .number(c.cell.theta)),
            ("beta", .number(c.cell.beta)),
            ("init", .string(c.cell.scheme)),
            ("holds_to_depth", .integer(c.holdsToDepth)),
            ("verdict", .string(c.verdict)),
            ("worst_rate_deviation_stderr", .number(c.worstRateDeviation)),
            ("silent_fraction", .object([
                ("predicted", .finite(last?.finiteWidthSilentProbability)),
                ("empirical", .number(last?.empiricalSilentFraction ?? 0)),
                ("empirical_stderr", .finite(last?.empiricalSilentFractionError)),
            ])),
        ]
        return head + driftFields(c) + [("layers", .array(c.layers.map(layerJSON)))]
    }

    /// The cell's time-averaged rate at the last layer (T > 1), simulation against the multi-step mean field.
    static func driftFields(_ c: CellComparison) -> [(String, JSON)] {
        guard let last = c.layers.last, let a = last.timeAveraged else { return [] }
        return [("time_averaged_drift", .object([
            ("layer", .integer(last.layer)),
            ("simulated", .number(a.empiricalRate)),
            ("simulated_stderr", .finite(a.empiricalRateError)),
            ("simulated_spread", .finite(a.empiricalSpread)),
            ("mean_field", .number(a.predictedRate)),
            ("mean_field_stderr", .number(a.predictedRateError)),
            ("relative_deviation", .finite(a.relativeDeviation)),
            ("deviation_stderr", .finite(a.deviationInStandardErrors)),
            ("outside_from_layer", c.driftsFromLayer.map { .integer($0) } ?? .null),
            ("multi_step_drift", .bool(c.driftsFromLayer.map { c.holdsToDepth >= $0 } ?? false)),
        ]))]
    }

    /// A layer's time-averaged fields under predicted, empirical and deviation (T > 1).
    static func timeAveragedFields(_ a: TimeAveragedComparison?) -> (predicted: [(String, JSON)],
                                                                     empirical: [(String, JSON)],
                                                                     deviation: [(String, JSON)])
    {
        guard let a else { return ([], [], []) }
        return ([("time_averaged_rate", .number(a.predictedRate)),
                 ("time_averaged_rate_stderr", .number(a.predictedRateError))],
                [("time_averaged_rate", .number(a.empiricalRate)),
                 ("time_averaged_rate_stderr", .finite(a.empiricalRateError)),
                 ("time_averaged_rate_spread", .finite(a.empiricalSpread))],
                [("relative_time_averaged_rate", .finite(a.relativeDeviation)),
                 ("time_averaged_rate_stderr", .finite(a.deviationInStandardErrors))])
    }

    static func layerJSON(_ l: LayerComparison) -> JSON {
        let averaged = timeAveragedFields(l.timeAveraged)
        let predicted: [(String, JSON)] = [
            ("membrane_variance", .number(l.predictedVariance)),
            ("rate", .number(l.predictedRate)),
            ("finite_width_rate", .finite(l.finiteWidthRate)),
            ("silent_probability", .finite(l.finiteWidthSilentProbability)),
            ("fixed_point_slope", .finite(l.fixedPointSlope)),
        ]
        let empirical: [(String, JSON)] = [
            ("membrane_variance", .number(l.empiricalVariance)),
            ("membrane_variance_stderr", .finite(l.empiricalVarianceError)),
            ("rate", .number(l.empiricalRate)),
            ("rate_stderr", .finite(l.empiricalRateError)),
            ("silent_fraction", .number(l.empiricalSilentFraction)),
        ]
        let deviation: [(String, JSON)] = [
            ("relative_variance", .finite(l.relativeVarianceDeviation)),
            ("rate_stderr", .finite(l.rateDeviationInStandardErrors)),
            ("rate_stderr_finite_width", .finite(l.finiteWidthRateDeviationInStandardErrors)),
        ]
        return .object([
            ("layer", .integer(l.layer)),
            ("predicted", .object(predicted + averaged.predicted)),
            ("empirical", .object(empirical + averaged.empirical)),
            ("deviation", .object(deviation + averaged.deviation)),
        ])
    }

    /// Reads one line back; refuses anything that does not render again to exactly the same text, so a damaged or
    /// hand-edited line is never taken for a result. The text is compared, not the values read, because
    /// `JSONDecoder` does not tell 3 from 3.0 or keep the order of the keys: the line renders again in the order
    /// and types this version writes (`SweepHeader.read` for the settings).
    public static func decode(_ text: String) throws(Malformed) -> (model: JSON, cell: CellComparison) {
        let value: JSON
        do { value = try JSONDecoder().decode(JSON.self, from: Data(text.utf8)) } catch {
            throw Malformed(reason: "not JSON")
        }
        guard case let .object(pairs) = value, let header = value["model"], case .object = header else {
            throw Malformed(reason: "not a cell record (no \"model\" object)")
        }
        let model = SweepHeader.read(header)
        let cell = try self.cell(.object(pairs.filter { $0.0 != "model" }))
        guard line(model: model, cell: cell) == text else {
            throw Malformed(reason: "its fields differ from the record this version writes for that cell")
        }
        return (model, cell)
    }

    /// The cell whose fields (`fields`) these are.
    private static func cell(_ fields: JSON) throws(Malformed) -> CellComparison {
        let codable = try codableCell(fields)
        do { return try codable.decode(CellComparison.self) } catch {
            throw Malformed(reason: "a field is missing or has the wrong type")
        }
    }

    /// The cell's fields rearranged into `CellComparison`'s Codable form. A `.number` field that is null was not a
    /// finite number, and comes back as NaN.
    private static func codableCell(_ c: JSON) throws(Malformed) -> JSON {
        // A number as its line holds it: one that is not finite is written null (so a computed cell reads back as
        // its line does).
        func written(_ j: JSON?) -> JSON? {
            if case let .number(x)? = j, !x.isFinite { return .null }
            return j
        }
        func number(_ j: JSON?, _ name: String) throws(Malformed) -> JSON {
            switch written(j) {
            case let .number(x)?: return .number(x)
            case let .integer(n)?: return .number(Double(n))
            case .null?: return .number(.nan)
            default: throw Malformed(reason: "\"\(name)\" is not a number")
            }
        }
        func optional(_ j: JSON?, _ name: String) throws(Malformed) -> JSON {
            if case .null? = written(j) { return .null }
            return try number(j, name)
        }
        func integer(_ j: JSON?, _ name: String) throws(Malformed) -> JSON {
            guard case let .integer(n)? = j else { throw Malformed(reason: "\"\(name)\" is not an integer") }
            return .integer(n)
        }
        func optionalInteger(_ j: JSON?, _ name: String) throws(Malformed) -> JSON {
            switch j {
            case nil, .null?: return .null
            default: return try integer(j, name)
            }
        }
        func string(_ j: JSON?, _ name: String) throws(Malformed) -> JSON {
            guard case let .string(s)? = j else { throw Malformed(reason: "\"\(name)\" is not a string") }
            return .string(s)
        }
        guard case let .array(layers)? = c["layers"], !layers.isEmpty else {
            throw Malformed(reason: "\"layers\" is not a list of layers")
        }
        let silentError = try optional(c["silent_fraction"]?["empirical_stderr"], "silent_fraction.empirical_stderr")
        let codableLayers = try layers.enumerated().map { i, l throws(Malformed) -> JSON in
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
public struct CellFileContents: Sendable {
    public struct Entry: Sendable {
        /// 1-based line number in the file.
        public let line: Int
        public let model: JSON
        public let cell: CellComparison
    }

    public let entries: [Entry]
    /// The bytes up to the end of the last whole line.
    public let wholeLength: Int
    /// The bytes of a last line without its newline (a write cut short by a kill or a full disk); 0 if none.
    public let truncatedLength: Int

    /// Reads the whole lines of `data`, the contents of `file`; a last line without a newline is set aside
    /// (`truncatedLength`), a whole line that is not a record is refused (`CellFileError.notARecord`).
    public init(_ data: Data, file: String) throws(CellFileError) {
        let lines = JSONLines(data)
        var entries: [Entry] = []
        for (number, text) in lines.lines {
            do {
                let (model, cell) = try CellRecord.decode(text)
                entries.append(Entry(line: number, model: model, cell: cell))
            } catch {
                throw CellFileError.notARecord(file: file, line: number, reason: error.reason)
            }
        }
        self.entries = entries
        wholeLength = lines.wholeLength
        truncatedLength = lines.truncatedLength
    }
}

/// Why a file of cells is refused. The description is the sentence after the option or command that named the file
/// ("resume: ...", "merge: ...").
public enum CellFileError: Error, Equatable, CustomStringConvertible {
    /// A whole line that does not read back as the record this version writes.
    case notARecord(file: String, line: Int, reason: String)
    /// A record of a sweep with other settings: the first field that differs, as each side writes it.
    case otherSettings(file: String, line: Int, key: String, theirs: String, ours: String)
    /// The same cell on two lines.
    case repeated(ComparisonCell, file: String, lines: [Int])
    /// A new sweep's file that already holds something.
    case notEmpty(file: String)

    public var description: String {
        switch self {
        case let .notARecord(file, line, reason):
            "line \(line) of '\(file)' is not a whole cell record (\(reason)); remove that line or use another file"
        case let .otherSettings(file, line, key, theirs, ours):
            "line \(line) of '\(file)' was written with \(key) \(theirs), this run has \(key) \(ours); use the same "
                + "settings or another file"
        case let .repeated(cell, file, lines):
            "cell (\(cell)) is in '\(file)' twice, lines \(lines.map(String.init).joined(separator: " and ")); remove one"
        case let .notEmpty(file):
            "'\(file)' already holds cells"
        }
    }
}
