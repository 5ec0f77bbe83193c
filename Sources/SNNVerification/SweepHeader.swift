import SNNFormats
import SNNModel

/// The `model` header of a sweep's records: the settings that make cells belong together, and the lists of the sweep
/// they belong to.
public enum SweepHeader {
    /// The swept lists: a resumed sweep may differ in them (its cells are matched one by one).
    public static let axes: Set<String> = ["widths", "thetas", "betas", "inits"]

    /// The fields in the order `make` writes them, and those it writes as Doubles (the others are integers or
    /// strings).
    static let fields = [
        "tool", "version", "command", "depth", "widths", "thetas", "betas", "inits", "input_size", "reset", "steps",
        "input", "target_variance", "batch", "networks", "seed", "method", "weights", "tolerance", "compared_at",
        "multi_step_method", "qmc_points", "qmc_replicates", "qmc_seed", "cell_seed", "conventions",
    ]
    static let doubleFields: Set<String> = ["target_variance", "tolerance"]

    /// The header of a sweep with these settings over these lists (their text as given, parsed by `SweepLists`),
    /// written by this `version` of the tool. A new field goes into `fields` too.
    public static func make(_ s: SweepSettings, widths: String, thetas: String, betas: String, inits: String,
                            version: String) -> JSON
    {
        let multiStep: [(String, JSON)] = s.steps > 1 ? [
            ("multi_step_method", .string(s.steps <= 2 ? "quadrature" : "qmc")),
            ("qmc_points", .integer(s.meanField.points)), ("qmc_replicates", .integer(s.meanField.replicates)),
            ("qmc_seed", .integer(Int(truncatingIfNeeded: s.meanField.seed))),
        ] : []
        return .object([
            ("tool", .string("snn-theory")),
            ("version", .string(version)),
            ("command", .string("compare")),
            ("depth", .integer(s.depth)),
            ("widths", .string(widths)),
            ("thetas", .string(thetas)),
            ("betas", .string(betas)),
            ("inits", .string(inits)),
            ("input_size", s.inputSize.map { .integer($0) } ?? .string("width")),
            ("reset", .string(s.reset.rawValue)),
            ("steps", .integer(s.steps)),
            ("input", .string(s.input.description)),
            ("target_variance", .number(s.targetVariance)),
            ("batch", .integer(s.batch)),
            ("networks", .integer(s.networks)),
            ("seed", .integer(Int(truncatingIfNeeded: s.seed))),
            ("method", .string(s.method.rawValue)),
            ("weights", .string(s.weights?.rawValue ?? "per init")),
            ("tolerance", .number(s.tolerance)),
            ("compared_at", .string(s.steps > 1 ? "t = 1, and the rate averaged over t = 1..T" : "t = 1")),
        ] + multiStep + [
            ("cell_seed", .string("SplitMix64 of seed, width, theta, beta and init (compare --help)")),
            ("conventions", .string(((try? NeuronModel(threshold: 1, leak: 1, reset: s.reset))?.conventions) ?? "")),
        ])
    }

    /// A header read back from a record as it was written: JSONDecoder keeps neither the order of the keys nor a
    /// Double written 1.0 (it reads 1), so the fields go back into `fields`' order (any other after them, by name)
    /// and those in `doubleFields` back to Doubles.
    public static func read(_ header: JSON) -> JSON {
        guard case let .object(pairs) = header else { return header }
        func rank(_ key: String) -> (Int, String) { (fields.firstIndex(of: key) ?? fields.count, key) }
        return .object(pairs.sorted { rank($0.0) < rank($1.0) }.map { key, value in
            if doubleFields.contains(key), case let .integer(n) = value { return (key, .number(Double(n))) }
            return (key, value)
        })
    }

    /// The first field (in `ours`' order, then any extra in `theirs`) whose value differs, skipping `ignoring`.
    public static func difference(_ theirs: JSON, _ ours: JSON, ignoring: Set<String> = [])
        -> (key: String, theirs: String, ours: String)?
    {
        guard case let .object(a) = theirs, case let .object(b) = ours else {
            return ("model", theirs.rendered(pretty: false), ours.rendered(pretty: false))
        }
        func text(_ j: JSON?) -> String { j.map { $0.rendered(pretty: false) } ?? "(none)" }
        for key in b.map(\.0) + a.map(\.0) where !ignoring.contains(key) {
            let x = text(theirs[key]), y = text(ours[key])
            if x != y { return (key, x, y) }
        }
        return nil
    }

    /// The cells of the sweep a header lists, in sweep order, as `SweepLists` reads its lists; nil when it does not
    /// list them. Throws the `ModelError` of a list this version refuses.
    public static func cells(of header: JSON) throws -> [ComparisonCell]? {
        guard case let .string(widths)? = header["widths"], case let .string(thetas)? = header["thetas"],
              case let .string(betas)? = header["betas"], case let .string(inits)? = header["inits"]
        else { return nil }
        return SweepPlan.cells(widths: try SweepLists.widths(widths), thetas: try SweepLists.thetas(thetas),
                               betas: try SweepLists.betas(betas), inits: try SweepLists.inits(inits))
    }
}
