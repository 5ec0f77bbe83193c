import Foundation
import SNNFormats
import SNNSimulator

/// Seconds and synaptic events per second, for standard error: timings never enter the results.
public enum Throughput {
    /// One line, ending in a newline; `resumed` networks were taken from a file, not simulated.
    public static func line(_ s: SimulationStatistics, resumed: Int = 0) -> String {
        String(format: "snn-theory: simulated %d network(s) in %.3f s: %.3g synaptic events/s (%.3g events)",
               s.configuration.networks - resumed, s.elapsedSeconds, s.synapticEventsPerSecond,
               s.synapticEvents) + (resumed > 0 ? "; \(resumed) taken from the resumed file\n" : "\n")
    }
}

/// Empirical statistics in the same shapes as `predict`'s.
public struct SimulationReport {
    public let statistics: SimulationStatistics
    public let scheme: String
    public let targetVariance: Double
    public let method: String

    public init(statistics: SimulationStatistics, scheme: String, targetVariance: Double, method: String) {
        self.statistics = statistics
        self.scheme = scheme
        self.targetVariance = targetVariance
        self.method = method
    }

    var c: SimulationConfiguration { statistics.configuration }

    /// Every parameter that determines the result (the thread count does not, so it is left out).
    var modelFields: [(String, JSON)] {
        Self.modelFields(c, scheme: scheme, targetVariance: targetVariance, method: method)
    }

    public static func modelFields(_ c: SimulationConfiguration, scheme: String, targetVariance: Double, method: String)
        -> [(String, JSON)]
    {
        [
            ("tool", .string("snn-theory")),
            ("version", .string(ToolVersion.current)),
            ("command", .string("simulate")),
            ("depth", .integer(c.architecture.depth)),
            ("widths", .array(c.architecture.widths.map { .integer($0) })),
            ("theta", .number(c.neuron.threshold)),
            ("beta", .number(c.neuron.leak)),
            ("reset", .string(c.neuron.reset.rawValue)),
            ("steps", .integer(c.steps)),
            ("input", .string(c.input.description)),
            ("init", .string(scheme)),
            ("target_variance", .number(targetVariance)),
            ("weights", .string(c.weightDistribution.rawValue)),
            ("method", .string(method)),
            ("batch", .integer(c.batch)),
            ("networks", .integer(c.networks)),
            ("seed", .integer(Int(truncatingIfNeeded: c.seed))),
            ("conventions", .string(c.neuron.conventions)),
        ]
    }

    static func stepJSON(_ s: StepStatistics) -> [(String, JSON)] {
        [
            ("membrane_mean", .number(s.membraneMean.mean)),
            ("membrane_mean_stderr", .finite(s.membraneMean.standardError)),
            ("membrane_variance", .number(s.membraneVariance.mean)),
            ("membrane_variance_stderr", .finite(s.membraneVariance.standardError)),
            ("rate", .number(s.rate.mean)),
            ("rate_stderr", .finite(s.rate.standardError)),
        ]
    }

    func layerJSON(_ l: LayerStatistics) -> JSON {
        var fields: [(String, JSON)] = [
            ("layer", .integer(l.layer)),
            ("fan_in", .integer(c.architecture.fanIn(layer: l.layer))),
            ("width", .integer(c.architecture.width(layer: l.layer))),
            ("weight_variance", .number(c.weightVariances[l.layer - 1])),
        ]
        fields += Self.stepJSON(l.steps[0])
        fields.append(("silent_fraction", .number(l.silentFraction)))
        fields.append(("silent_fraction_stderr", .finite(l.silentFractionStandardError)))
        if c.steps > 1 {
            let averaged = statistics.timeAveragedRate(layer: l.layer)
            fields.append(("time_averaged_rate", .number(averaged.mean)))
            fields.append(("time_averaged_rate_stderr", .finite(averaged.standardError)))
            fields.append(("steps", .array(l.steps.map { s in .object([("t", .integer(s.step))] + Self.stepJSON(s)) })))
        }
        return .object(fields)
    }

    public func json() -> JSON {
        .object([
            ("model", .object(modelFields)),
            ("layers", .array(statistics.layers.map(layerJSON))),
        ])
    }

    public func csv() -> String {
        var lines = [
            "# snn-theory \(ToolVersion.current) simulate: empirical statistics over \(c.networks) network(s) x \(c.batch) input(s)",
            "# " + modelFields.map { "\($0.0)=\($0.1.rendered(pretty: false))" }.joined(separator: " "),
        ]
        lines.append("layer,t,fan_in,width,weight_variance,membrane_mean,membrane_mean_stderr,membrane_variance,"
            + "membrane_variance_stderr,rate,rate_stderr,silent_fraction,silent_fraction_stderr")
        for l in statistics.layers {
            for s in l.steps {
                lines.append([
                    "\(l.layer)", "\(s.step)", "\(c.architecture.fanIn(layer: l.layer))",
                    "\(c.architecture.width(layer: l.layer))", Format.exact(c.weightVariances[l.layer - 1]),
                    Format.exact(s.membraneMean.mean), Format.exact(s.membraneMean.standardError),
                    Format.exact(s.membraneVariance.mean), Format.exact(s.membraneVariance.standardError),
                    Format.exact(s.rate.mean), Format.exact(s.rate.standardError),
                    Format.exact(l.silentFraction), Format.exact(l.silentFractionStandardError),
                ].joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func withError(_ e: Estimate, digits: Int = 4) -> String {
        guard let se = e.standardError else { return Format.number(e.mean, digits: digits) }
        return Format.number(e.mean, digits: digits) + " ± " + Format.number(se, digits: 2)
    }

    /// The layers a table shows: all, or when L > 20 (and not `allLayers`) 1-5, every 10th (100th past 200, 1000th
    /// past 2000) and L.
    static func shownLayers(depth: Int, allLayers: Bool) -> [Int] {
        guard !allLayers && depth > 20 else { return Array(1...depth) }
        let step = depth <= 200 ? 10 : depth <= 2000 ? 100 : 1000
        var shown = Array(1...5) + Array(stride(from: step, through: depth, by: step))
        if shown.last != depth { shown.append(depth) }
        return shown
    }

    public func table(allLayers: Bool) -> String {
        let depth = c.architecture.depth
        let shown = Self.shownLayers(depth: depth, allLayers: allLayers)
        let last = c.steps
        var header = ["layer", "Var[u] t=1", "rate t=1"]
        if last > 1 { header += ["rate t=\(last)", "Var[u] t=\(last)", "rate t=1..\(last)"] }
        header.append("silent nets")
        let rows = shown.map { i -> [String] in
            let l = statistics.layers[i - 1]
            var row = ["\(i)", Self.withError(l.steps[0].membraneVariance), Self.withError(l.steps[0].rate)]
            if last > 1 {
                row += [Self.withError(l.steps[last - 1].rate), Self.withError(l.steps[last - 1].membraneVariance),
                        Self.withError(statistics.timeAveragedRate(layer: i))]
            }
            row.append("\(l.silentNetworks)/\(c.networks)")
            return row
        }
        let header0 = [
            "snn-theory \(ToolVersion.current) simulate (\(method == "reduced" ? "exact reduced sampler" : "full network")): \(c.networks) network(s) x \(c.batch) input(s), \(c.steps) step(s), seed \(c.seed)",
            "network: \(depth) layer\(depth == 1 ? "" : "s"), widths \(c.architecture.widths.dropFirst().allSatisfy { $0 == c.architecture.widths[1] } ? "\(c.architecture.widths[1]) (input \(c.architecture.widths[0]))" : c.architecture.widths.map(String.init).joined(separator: ",")); input \(c.input)",
            "neuron: theta \(Format.number(c.neuron.threshold)), beta \(Format.number(c.neuron.leak)), reset \(c.neuron.reset.rawValue); \(c.neuron.conventions)",
            "init: \(scheme), \(c.weightDistribution.rawValue) weights; values are means over networks ± standard error",
        ]
        return (header0 + ["", Format.table(header: header, rows: rows)]).joined(separator: "\n")
    }
}
