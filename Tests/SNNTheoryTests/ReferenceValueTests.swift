import Foundation
import SNNModel
import Testing
@testable import SNNTheory

/// Every closed form and the recursion against independent mpmath values (Reference/make_reference.py, 50-60
/// digits). Values below 1e-300 are outside what the closed forms promise and are skipped; their logarithms are not.
@Suite struct ReferenceValueTests {
    static let gaussian = try! ReferenceTable(named: "gaussian_integrals.csv")

    /// The relative tolerance of the closed forms. The table's inputs are decimals and the code's are their nearest
    /// Doubles; near z = 37 that alone moves Q by z^2 x 1.1e-16 = 1.5e-13 relative, well inside 1e-12.
    static let tolerance = 1e-12

    @Test func tableCoversTheFarTailAndBothSides() {
        let zs = Self.gaussian.rows.compactMap { Self.gaussian.value($0, "z") }
        #expect(zs.contains { $0 >= 37 })
        #expect(zs.contains { $0 <= -37 })
        #expect(Self.gaussian.rows.count > 150)
    }

    @Test(arguments: ["spike_probability", "log_spike_probability", "spike_probability_dsigma", "u_spike",
                      "u_given_spike", "u2_spike", "spike_variance"])
    func closedFormMatchesTheMpmathTable(column: String) throws {
        var checked = 0
        for row in Self.gaussian.rows {
            guard let mu = Self.gaussian.value(row, "mu"), let sigma = Self.gaussian.value(row, "sigma"),
                  let theta = Self.gaussian.value(row, "theta"),
                  let expected = Self.gaussian.value(row, column), expected.isFinite
            else { continue }
            // Probabilities and moments are promised above 1e-300; a conditional mean and a log are O(1) anywhere.
            if column != "log_spike_probability" && column != "u_given_spike" && abs(expected) <= 1e-300 { continue }
            if column == "u_given_spike", (Self.gaussian.value(row, "spike_probability") ?? 0) <= 1e-300 { continue }
            let q = QuantizedGaussian(mean: mu, standardDeviation: sigma, threshold: theta)
            let actual: Double
            switch column {
            case "spike_probability": actual = q.spikeProbability
            case "log_spike_probability": actual = q.logSpikeProbability
            case "spike_probability_dsigma": actual = q.spikeProbabilityDerivativeWithRespectToSigma
            case "u_spike": actual = q.meanTimesSpike
            case "u_given_spike": actual = q.meanGivenSpike
            case "u2_spike": actual = q.secondMomentTimesSpike
            default: actual = q.spikeVariance
            }
            #expect(relativeError(actual, expected) < Self.tolerance,
                    "\(column) at mu \(mu) sigma \(sigma) theta \(theta): \(actual) vs \(expected)")
            checked += 1
        }
        #expect(checked > 100)
    }

    @Test func bivariateOrthantMatchesTheMpmathTable() throws {
        let table = try ReferenceTable(named: "bivariate_orthant.csv")
        var checked = 0
        for row in table.rows {
            guard let a = table.value(row, "a"), let b = table.value(row, "b"), let rho = table.value(row, "rho"),
                  let expected = table.value(row, "probability"), expected > 1e-300 else { continue }
            let actual = try BivariateNormal.upperOrthant(a, b, correlation: rho).value
            #expect(relativeError(actual, expected) < Self.tolerance, "a \(a) b \(b) rho \(rho): \(actual) vs \(expected)")
            checked += 1
        }
        #expect(checked > 300)
    }

    @Test func fixedPointSlopeAndCriticalThresholdMatchTheTable() throws {
        let table = try ReferenceTable(named: "stability.csv")
        for row in table.rows {
            let label = table.text(row, "theta_over_sigma"), expected = try #require(table.value(row, "chi"))
            if label == "critical" {
                #expect(abs(try VarianceRecursion.criticalThresholdOverSigma() - expected) < 1e-10)
            } else {
                let x = try #require(Double(label))
                #expect(relativeError(VarianceRecursion.fixedPointSlope(thresholdOverSigma: x), expected) < 1e-12)
            }
        }
    }

    /// THEORY.md section 6: the gain n Var[w_l] of layers l >= 2 under the paper's rule, the authors' leak-and-reset
    /// variant (`paper-reset`) and the variance balance (`paper-balance`), over a grid of thresholds and leaks, within
    /// 1e-12 relative of mpmath. At theta 1, beta 0.5 the table itself rounds to the section's 6.30, 13.50 and 5.41.
    @Test func relatedInitializationGainsMatchTheTable() throws {
        let table = try ReferenceTable(named: "related_inits.csv")
        #expect(table.rows.count == 24)
        let architecture = try Architecture(inputSize: 500, width: 1000, depth: 3)
        for row in table.rows {
            let theta = try #require(table.value(row, "theta")), beta = try #require(table.value(row, "beta"))
            let neuron = try NeuronModel(threshold: theta, leak: beta)
            for (scheme, column) in [(InitScheme.paper, "gain_paper"), (.paperReset, "gain_paper_reset"),
                                     (.paperBalance, "gain_paper_balance")] {
                let expected = try #require(table.value(row, column))
                let variances = WeightVariance.forScheme(scheme, architecture: architecture, neuron: neuron,
                                                         input: .bernoulli(rate: 0.2))
                for l in 2...3 {
                    let gain = variances[l - 1] * Double(architecture.fanIn(layer: l))
                    #expect(relativeError(gain, expected) < 1e-12, "\(scheme) theta \(theta) beta \(beta) layer \(l)")
                }
            }
            if theta == 1, beta == 0.5 {
                let gains = try ["gain_paper", "gain_paper_reset", "gain_paper_balance"].map {
                    try #require(table.value(row, $0))
                }
                #expect(gains.map { ($0 * 100).rounded() / 100 } == [6.30, 13.50, 5.41])
            }
        }
    }

    /// The recursion of THEORY.md section 3 for each configuration in the table, layer by layer: variances and rates
    /// within 1e-9 relative while a Double holds them (1e-12 for the paper's scheme, whose fixed point is exact), and
    /// log10 of the variance within 1e-12 relative as long as the table's logarithm is itself a Double.
    @Test func recursionMatchesTheMpmathTable() throws {
        let table = try ReferenceTable(named: "recursion.csv")
        var groups: [String: [[String]]] = [:]
        for row in table.rows { groups[row[0..<5].joined(separator: ","), default: []].append(row) }
        #expect(groups.count >= 8)
        var checkedLogs = 0, underflowedLogs = 0
        for (_, rows) in groups {
            let first = rows[0]
            let scheme = try InitScheme(parsing: table.text(first, "init"))
            let theta = try #require(table.value(first, "theta"))
            let width = try #require(Int(table.text(first, "width")))
            let rate = try #require(table.value(first, "input_rate"))
            let target = table.value(first, "target_variance") ?? 1
            let depth = rows.count
            let arch = try Architecture(inputSize: width, width: width, depth: depth)
            let neuron = try NeuronModel(threshold: theta)
            let input = InputEncoding.bernoulli(rate: rate)
            let variances = WeightVariance.forScheme(scheme, architecture: arch, neuron: neuron, input: input,
                                                     targetVariance: target)
            let layers = VarianceRecursion.firstStep(architecture: arch, neuron: neuron, input: input,
                                                     weightVariances: variances)
            let tolerance = scheme == .paper ? 1e-12 : 1e-9
            for row in rows {
                let l = try #require(Int(table.text(row, "layer")))
                let mine = layers[l - 1]
                #expect(!mine.membraneVariance.isNaN && !mine.rate.isNaN && !mine.logMembraneVariance.isNaN)
                if let v = table.value(row, "membrane_variance"), v > 1e-300 {
                    #expect(relativeError(mine.membraneVariance, v) < tolerance, "\(scheme) layer \(l): \(mine.membraneVariance) vs \(v)")
                } else {
                    #expect(mine.membraneVariance == 0 && mine.isSilent, "\(scheme) layer \(l) should underflow to 0")
                }
                if let r = table.value(row, "rate"), r > 1e-300 {
                    #expect(relativeError(mine.rate, r) < tolerance, "\(scheme) layer \(l) rate: \(mine.rate) vs \(r)")
                } else {
                    #expect(mine.rate == 0)
                }
                // Wherever the table's log10 Var is a Double, the code's logarithm must be finite and match it, also
                // where the variance itself underflowed (e.g. kaiming layer 4, log10 Var = -770.35).
                if let log10Variance = table.value(row, "log10_membrane_variance"), abs(log10Variance) < 1e300 {
                    #expect(mine.logMembraneVariance.isFinite, "\(scheme) layer \(l): log Var not finite")
                    #expect(relativeError(mine.logMembraneVariance / log(10.0), log10Variance) < 1e-12)
                    checkedLogs += 1
                    if table.value(row, "membrane_variance").map({ $0 <= 1e-300 }) ?? true { underflowedLogs += 1 }
                }
            }
        }
        #expect(checkedLogs > 100 && underflowedLogs >= 3, "\(checkedLogs) logarithms, \(underflowedLogs) past underflow")
    }
}
