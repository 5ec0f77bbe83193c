import Foundation
import SNNFormats
import SNNModel
import SNNTheory

/// `predict --gradients`: one initialization's backward mean field (THEORY.md section 10), its first-step finite-width
/// correction when asked for, and the surrogate scale solved for when asked for.
public struct SchemeGradient: Sendable {
    public let prediction: GradientPrediction
    /// The first step at the network's widths (`GradientRecursion.finiteWidthFirstStep`).
    public let finiteWidth: FiniteWidthGradient?
    /// What `--solve` solved: "surrogate" or "both" (nil: nothing solved; `prediction.surrogate` was given).
    public let solved: String?

    public init(prediction: GradientPrediction, finiteWidth: FiniteWidthGradient?, solved: String?) {
        self.prediction = prediction
        self.finiteWidth = finiteWidth
        self.solved = solved
    }

    /// "gradients vanish by 10^k from layer L to 1", "explode by 10^k ..." or "held" (within a factor 2), from the
    /// pooled Var[delta_1] / Var[delta_L] (the finite-width one when there is one).
    public var verdict: String {
        let depth = prediction.layers.count
        let log10Ratio = (finiteWidth?.logMembraneVariance[0] ?? prediction.layers[0].logPooledMembraneVariance) / log(10.0)
        if prediction.lastLayerMembraneVariance.allSatisfy({ !($0 > 0) }) {
            return "no gradient passes layer \(depth): h(u - theta) is 0 wherever its potentials go"
        }
        if log10Ratio == -.infinity {
            return "gradients vanish entirely: Var[delta_1] is 0 (h(u - theta) is 0 wherever some layer's potentials go)"
        }
        let scale = prediction.depthScale.map { "; backward depth scale \(Format.number($0, digits: 3)) layers" } ?? ""
        let chi = prediction.meanChi.isFinite
            ? "mean chi_back \(Format.number(prediction.meanChi, digits: 4)) per layer" : "mean chi_back undefined"
        let solvedText = solved.map { _ in " (solved surrogate \(prediction.surrogate))" } ?? ""
        if abs(log10Ratio) < log10(2.0) {
            return "gradients held\(solvedText): Var[delta] at layer 1 is \(Format.number(pow(10, log10Ratio), digits: 3))"
                + " x layer \(depth)'s; \(chi)\(scale)"
        }
        let k = Format.number(abs(log10Ratio), digits: 3)
        return "gradients \(log10Ratio < 0 ? "vanish" : "explode") by 10^\(k) from layer \(depth) to 1\(solvedText); "
            + "\(chi)\(scale)"
    }

    /// The prediction-level record: settings and the solved scale.
    var summaryJSON: JSON {
        var fields: [(String, JSON)] = [
            ("loss", .string("L = sum_t g^T s_L[t], g ~ N(0, I) fixed")),
            ("surrogate", .string(prediction.surrogate.description)),
            ("reset_grad", .string(prediction.resetGradient.rawValue)),
            ("theory", .string(prediction.exact
                ? "backward mean field (infinite width, backward weights independent of forward), first step, closed form"
                : "backward mean field (infinite width, backward weights independent of forward), \(prediction.steps) "
                    + "steps, randomized quasi-Monte Carlo \(prediction.settings.points) points x "
                    + "\(prediction.settings.replicates) replicates")),
            ("mean_chi", .finite(prediction.meanChi)),
            ("depth_scale", .finite(prediction.depthScale)),
            ("log10_first_over_last", .finite(prediction.log10FirstOverLast)),
            ("verdict", .string(verdict)),
        ]
        if let finiteWidth {
            fields.append(("log10_first_over_last_finite_width", .finite(finiteWidth.logMembraneVariance[0] / log(10.0))))
        }
        if let solved {
            fields.append(("solve", .string(solved)))
            fields.append(("surrogate_scale", .number(prediction.surrogate.scale)))
        }
        return .object(fields)
    }

    /// Layer l's record: relative to the last layer, pooled over steps; per step under "steps".
    func layerJSON(_ i: Int) -> JSON {
        let l = prediction.layers[i]
        var fields: [(String, JSON)] = [
            ("membrane_variance", .finite(l.pooledMembraneVariance)),
            ("log10_membrane_variance", .finite(l.logPooledMembraneVariance / log(10.0))),
            ("membrane_variance_error", .finite(l.pooledMembraneVarianceError)),
            ("weight_variance", .finite(l.weightVariance)),
            ("weight_variance_error", .finite(l.weightVarianceError)),
            ("chi", .finite(l.chi)),
            ("chi_error", .finite(l.chiError)),
        ]
        if let finiteWidth {
            fields.append(("finite_width_membrane_variance", .finite(exp(finiteWidth.logMembraneVariance[i]))))
            fields.append(("finite_width_weight_variance", .finite(exp(finiteWidth.logWeightVariance[i]))))
        }
        if prediction.steps > 1 {
            fields.append(("steps", .array(l.membraneVariance.indices.map { t in
                .object([("t", .integer(t + 1)), ("membrane_variance", .finite(l.membraneVariance[t])),
                         ("membrane_variance_error", .finite(l.membraneVarianceError[t]))])
            })))
        }
        return .object(fields)
    }

    /// Table rows: layer, chi, Var[delta] and Var[dL/dW] relative (pooled), first and last step, finite width.
    func table(rows: [Int], scheme: String) -> String {
        let steps = prediction.steps
        var header = ["layer", "chi_back", "Var[delta]/L", "Var[dL/dW]/L"]
        if steps > 1 { header += ["t=1", "t=\(steps)"] }
        if finiteWidth != nil { header += ["Var[delta]/L finite n", "Var[dL/dW]/L finite n"] }
        let cells = rows.map { i -> [String] in
            let l = prediction.layers[i - 1]
            func value(_ v: Double, _ log: Double, _ error: Double) -> String {
                if log == -.infinity { return "0" }
                guard log.isFinite else { return "-" }  // undefined: a ratio to a last layer whose value is 0
                return Format.fromLog(value: v, log: log) + (error > 0 ? " ± \(Format.number(error, digits: 2))" : "")
            }
            var row = ["\(i)", l.chi.isFinite ? Format.number(l.chi) : "-", value(l.pooledMembraneVariance, l.logPooledMembraneVariance,
                                                          l.pooledMembraneVarianceError),
                       value(l.weightVariance, l.logWeightVariance, l.weightVarianceError)]
            if steps > 1 {
                row += [value(l.membraneVariance[0], l.logMembraneVariance[0], 0),
                        value(l.membraneVariance[steps - 1], l.logMembraneVariance[steps - 1], 0)]
            }
            if let f = finiteWidth {
                row += [value(exp(f.logMembraneVariance[i - 1]), f.logMembraneVariance[i - 1], 0),
                        value(exp(f.logWeightVariance[i - 1]), f.logWeightVariance[i - 1], 0)]
            }
            return row
        }
        return "gradients (\(scheme)): surrogate \(prediction.surrogate), reset gradient \(prediction.resetGradient.rawValue); "
            + "variances relative to layer \(prediction.layers.count) (THEORY.md section 10)\n"
            + Format.table(header: header, rows: cells)
    }

    static let csvHeader = ",gradient_membrane_variance,gradient_weight_variance,gradient_chi,"
        + "gradient_finite_width_membrane_variance,gradient_finite_width_weight_variance,gradient_surrogate"

    func csvFields(_ i: Int) -> [String] {
        let l = prediction.layers[i]
        return [Format.exact(l.pooledMembraneVariance), Format.exact(l.weightVariance), Format.exact(l.chi),
                Format.exact(finiteWidth.map { exp($0.logMembraneVariance[i]) }),
                Format.exact(finiteWidth.map { exp($0.logWeightVariance[i]) }), Format.csvField(prediction.surrogate.description)]
    }
}
