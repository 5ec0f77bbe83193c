import Foundation
import SNNTestSupport
import SNNFormats
import SNNModel
import SNNTheory
@testable import SNNVerification

/// Settings, cells and files shared by the tests of this target.
enum SweepFixtures {
    /// Small settings: every cell runs in milliseconds.
    static func settings(depth: Int = 3, steps: Int = 1, networks: Int = 4, seed: UInt64 = 1, tolerance: Double = 0.05,
                         inputSize: Int? = nil, targetVariance: Double = 1, method: SimulationMethod = .full)
        throws -> SweepSettings
    {
        try SweepSettings(depth: depth, inputSize: inputSize, reset: .subtract, steps: steps,
                          input: .bernoulli(rate: 0.2), targetVariance: targetVariance, batch: 1, networks: networks,
                          seed: seed, threads: 1, weights: nil, tolerance: tolerance, method: method,
                          meanField: TemporalKernelSettings(points: 256, replicates: 4))
    }

    /// The plan of a sweep over these lists.
    static func plan(widths: [Int] = [10, 20], thetas: [Double] = [0.5, 1], betas: [Double] = [0.9],
                     inits: [String] = ["paper"], shard: Shard = .whole, settings: SweepSettings? = nil) throws
        -> SweepPlan
    {
        try SweepPlan(cells: SweepPlan.cells(widths: widths, thetas: thetas, betas: betas, inits: inits),
                      settings: settings ?? self.settings(), shard: shard)
    }

    /// The header of `plan`, with its lists written as the command line would give them.
    static func header(_ plan: SweepPlan, widths: String = "10,20", thetas: String = "0.5,1", betas: String = "0.9",
                       inits: String = "paper") -> JSON
    {
        SweepHeader.make(plan.settings, widths: widths, thetas: thetas, betas: betas, inits: inits, version: "0.1.0")
    }

    /// A layer at t = 1 with the given rates; the other fields plausible and fixed.
    static func layer(_ layer: Int, predicted: Double = 0.2, empirical: Double = 0.2, error: Double? = 0.01,
                      silent: Double = 0, silentError: Double? = nil, finiteWidth: Double? = nil,
                      finiteWidthSilent: Double? = nil, slope: Double? = 0.8,
                      timeAveraged: TimeAveragedComparison? = nil) -> LayerComparison
    {
        LayerComparison(
            layer: layer, predictedVariance: 1, predictedRate: predicted, finiteWidthRate: finiteWidth,
            finiteWidthSilentProbability: finiteWidthSilent, empiricalVariance: 1.02, empiricalVarianceError: 0.03,
            empiricalRate: empirical, empiricalRateError: error, empiricalSilentFraction: silent,
            empiricalSilentFractionError: silentError, fixedPointSlope: layer == 1 ? nil : slope,
            timeAveraged: timeAveraged)
    }

    /// The rate averaged over t = 1..T of one layer.
    static func averaged(predicted: Double = 0.1, predictedError: Double = 0.001, empirical: Double,
                         empiricalError: Double? = 0.002) -> TimeAveragedComparison
    {
        TimeAveragedComparison(predictedRate: predicted, predictedRateError: predictedError, empiricalRate: empirical,
                               empiricalRateError: empiricalError, empiricalSpread: empiricalError.map { $0 * 2 })
    }

    /// A finished cell with every kind of field: optional ones present and absent, and T > 1 fields when `steps` > 1.
    /// Only the last layer has a silent-fraction error: the record keeps the cell's, at the last layer.
    static func cell(_ cell: ComparisonCell, steps: Int = 1, depth: Int = 3) -> CellComparison {
        let layers = (1...depth).map { (l: Int) -> LayerComparison in
            let x = Double(l), last = l == depth
            let averages: TimeAveragedComparison? = steps > 1 ? averaged(empirical: 0.1 - 0.001 * x) : nil
            return layer(l, predicted: 0.2, empirical: 0.2 + 0.001 * x, silent: last ? 0.25 : 0,
                         silentError: last ? 0.07 : nil, finiteWidth: l == 2 ? nil : 0.19,
                         finiteWidthSilent: l == 2 ? nil : 0.001 * x, timeAveraged: averages)
        }
        let tolerance = 0.05
        let (holds, verdict) = Comparison.judge(layers, cell: cell, tolerance: tolerance)
        return CellComparison(cell: cell, layers: layers, holdsToDepth: holds,
                              driftsFromLayer: Comparison.driftStart(layers, tolerance: tolerance), verdict: verdict)
    }

    /// A path in the temporary directory, removed by `remove`.
    static func temporaryFile(_ name: String) -> String {
        Scratch.path("snn-\(name)", suffix: ".jsonl")
    }

    static func remove(_ paths: String...) {
        for path in paths { try? FileManager.default.removeItem(atPath: path) }
    }

    static func write(_ lines: [String], to path: String, cutLast bytes: Int = 0) throws {
        let text = lines.map { $0 + "\n" }.joined()
        try Data(text.utf8).dropLast(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func contents(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8)
    }
}
