import Foundation
import SNNFormats
import SNNVerification

/// A finished `compare` cell as one line of a JSON Lines file: `{"model": {the sweep's settings}, "width": ...}`,
/// the settings followed by the cell's fields exactly as `compare --format json` prints them. Each line alone says
/// how it was made; `--resume` and `merge` read the lines back.
///
/// Every output of `compare` and `merge` is rendered from cells as their lines hold them (`normalized` takes a
/// computed cell through its line's fields), so a run that was interrupted and resumed, a merge of shards, and one
/// uninterrupted run print the same bytes.
enum CellRecord {
    struct Malformed: Error {
        let reason: String
    }

    static func line(model: JSON, cell: CellComparison) -> String {
        guard case let .object(fields) = CompareReport.cellJSON(cell) else { preconditionFailure("cellJSON is an object") }
        return JSON.object([("model", model)] + fields).rendered(pretty: false)
    }

    /// The cell as it reads back from its line (the same fields, without writing and reading the text).
    static func normalized(_ cell: CellComparison) throws -> CellComparison {
        try self.cell(CompareReport.cellJSON(cell))
    }

    /// Reads one line back; refuses anything that does not render again to exactly the same text, so a damaged or
    /// hand-edited line is never taken for a result. The text is compared, not the values read, because
    /// `JSONDecoder` does not tell 3 from 3.0 or keep the order of the keys: the line renders again in the order
    /// and types this version writes (`SweepHeader.read` for the settings).
    static func decode(_ text: String) throws -> (model: JSON, cell: CellComparison) {
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

    /// The cell whose fields (`CompareReport.cellJSON`) these are.
    private static func cell(_ fields: JSON) throws -> CellComparison {
        let codable = try codableCell(fields)
        do { return try codable.decode(CellComparison.self) } catch {
            throw Malformed(reason: "a field is missing or has the wrong type")
        }
    }

    /// The cell's fields rearranged into `CellComparison`'s Codable form. A `.number` field that is null was not a
    /// finite number, and comes back as NaN.
    private static func codableCell(_ c: JSON) throws -> JSON {
        // A number as its line holds it: one that is not finite is written null (so a computed cell reads back as
        // its line does).
        func written(_ j: JSON?) -> JSON? {
            if case let .number(x)? = j, !x.isFinite { return .null }
            return j
        }
        func number(_ j: JSON?, _ name: String) throws -> JSON {
            switch written(j) {
            case let .number(x)?: return .number(x)
            case let .integer(n)?: return .number(Double(n))
            case .null?: return .number(.nan)
            default: throw Malformed(reason: "\"\(name)\" is not a number")
            }
        }
        func optional(_ j: JSON?, _ name: String) throws -> JSON {
            if case .null? = written(j) { return .null }
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
