import Foundation
import SNNModel
import Testing
@testable import SNNTheory

/// The backward mean field (THEORY.md section 10) against `Reference/gradient_recursion.csv`, an independent
/// evaluation of the same recursion by composite Gauss-Legendre quadrature (scripts/reference/gradient_recursion.py):
/// theta 1, beta 0.9, Bernoulli(0.2) input, depth 3, the paper's initialization.
@Suite struct GradientRecursionTests {
    let table = try! ReferenceTable(named: "gradient_recursion.csv")

    func prediction(steps: Int, surrogate: String, reset: String, resetGradient: String,
                    settings: TemporalKernelSettings = TemporalKernelSettings()) throws -> GradientPrediction {
        let neuron = try NeuronModel(threshold: 1, leak: 0.9, reset: Reset(rawValue: reset)!)
        let network = try Network(architecture: Architecture(inputSize: 1000, width: 1000, depth: 3), neuron: neuron,
                                  steps: steps, input: .bernoulli(rate: 0.2))
        return try GradientRecursion.propagate(network, surrogate: Surrogate(parsing: surrogate),
                                               resetGradient: ResetGradient(rawValue: resetGradient)!,
                                               settings: settings)
    }

    func rows(steps: Int) -> [[String]] { table.rows.filter { $0[table.column("steps")] == "\(steps)" } }

    /// T = 1 is closed form and quadrature on both sides: every ratio agrees to 1e-10 relative.
    @Test func oneStepMatchesTheQuadratureReference() throws {
        let rows = rows(steps: 1)
        #expect(rows.count == 9)
        for row in rows {
            let p = try prediction(steps: 1, surrogate: table.text(row, "surrogate"), reset: table.text(row, "reset"),
                                   resetGradient: table.text(row, "reset_grad"))
            let l = p.layers[Int(table.text(row, "layer"))! - 1]
            #expect(relativeError(l.membraneVariance[0], table.value(row, "membrane_variance_t1")!) < 1e-10)
            #expect(relativeError(l.pooledMembraneVariance, table.value(row, "pooled")!) < 1e-10)
            #expect(relativeError(l.weightVariance, table.value(row, "weight")!) < 1e-10)
            #expect(relativeError(l.chi, table.value(row, "chi")!) < 1e-10, "\(row)")
        }
    }

    /// T = 2, every reset and reset-gradient mode: the quasi-Monte Carlo estimate (8192 points x 8 replicates) lies
    /// within five of its own standard errors of the quadrature, plus 1e-4 relative for the forward kernel's
    /// quadrature and the table's rounding; the errors are genuine (positive, below 5%: fast_sigmoid:25, 0.04 wide, is the noisiest).
    @Test func twoStepsMatchTheQuadratureReference() throws {
        let settings = TemporalKernelSettings(points: 8192, replicates: 8, seed: 7)
        var cached: [String: GradientPrediction] = [:]
        for row in rows(steps: 2) {
            let key = ["surrogate", "reset", "reset_grad"].map { table.text(row, $0) }.joined(separator: "/")
            if cached[key] == nil {
                cached[key] = try prediction(steps: 2, surrogate: table.text(row, "surrogate"),
                                             reset: table.text(row, "reset"),
                                             resetGradient: table.text(row, "reset_grad"), settings: settings)
            }
            let l = cached[key]!.layers[Int(table.text(row, "layer"))! - 1]
            func close(_ value: Double, _ error: Double, _ column: String) {
                let reference = table.value(row, column)!
                #expect(abs(value - reference) <= 5 * error + 1e-4 * abs(reference), "\(key) \(column) \(l.layer)")
                if l.layer < 3 { #expect(error > 0 && error < 0.05 * abs(reference), "\(key) \(column)") }
            }
            close(l.membraneVariance[0], l.membraneVarianceError[0], "membrane_variance_t1")
            close(l.membraneVariance[1], l.membraneVarianceError[1], "membrane_variance_t2")
            close(l.pooledMembraneVariance, l.pooledMembraneVarianceError, "pooled")
            close(l.weightVariance, l.weightVarianceError, "weight")
            close(l.chi, l.chiError, "chi")
        }
    }

    /// Section 7's chi_back at the paper's fixed point: every layer past the first scales the gradient by it.
    @Test func oneStepChiIsTheFirstStepBackwardGain() throws {
        let p = try prediction(steps: 1, surrogate: "atan:2", reset: "subtract", resetGradient: "detached")
        let gain = try SurrogateIntegrals.backwardGain(Surrogate(parsing: "atan:2"), threshold: 1, targetVariance: 1)
        for l in p.layers.dropFirst() { #expect(relativeError(l.chi, gain) < 1e-12) }
        #expect(relativeError(p.layers[0].pooledMembraneVariance, gain * gain) < 1e-12)
    }
}

/// The first step's finite-width correction against `Reference/gradient_finite_width.csv` (NumPy and SciPy on full
/// transition matrices, scripts/reference/gradient_finite_width.py): paper init, theta 1, Bernoulli(0.2), depth 20,
/// atan:2; to 1e-7 relative (the reference's 400-point rules and this side's dropped counts below 1e-18).
@Suite struct GradientFiniteWidthTests {
    @Test(arguments: [100, 300])
    func matchesTheTransitionMatrixReference(width: Int) throws {
        let table = try ReferenceTable(named: "gradient_finite_width.csv")
        let network = try Network(architecture: Architecture(inputSize: width, width: width, depth: 20),
                                  neuron: NeuronModel(threshold: 1, leak: 0.9), input: .bernoulli(rate: 0.2))
        let surrogate = try Surrogate(parsing: "atan:2")
        let corrected = try GradientRecursion.finiteWidthFirstStep(network, surrogate: surrogate)
        let wide = try GradientRecursion.propagate(network, surrogate: surrogate, resetGradient: .detached)
        let rows = table.rows.filter { $0[table.column("width")] == "\(width)" }
        #expect(rows.count == 20)
        for row in rows {
            let l = Int(table.text(row, "layer"))!
            let ratio = exp(corrected.logMembraneVariance[l - 1] - wide.layers[l - 1].logPooledMembraneVariance)
            #expect(relativeError(ratio, table.value(row, "relative_over_wide")!) < 1e-7, "width \(width) layer \(l)")
            let weight = exp(corrected.logWeightVariance[l - 1] - wide.layers[l - 1].logWeightVariance)
            #expect(relativeError(weight, table.value(row, "weight_over_wide")!) < 1e-7, "width \(width) layer \(l) weight")
        }
    }

    /// Finite width lowers the gradient reaching the early layers, more the narrower the layers (the measured
    /// direction in the simulator, THEORY.md section 10).
    @Test func narrowerLayersLoseMore() throws {
        let surrogate = try Surrogate(parsing: "atan:2")
        let shortfall = try [100, 300].map { n -> Double in
            let network = try Network(architecture: Architecture(inputSize: n, width: n, depth: 5),
                                      neuron: NeuronModel(threshold: 1, leak: 0.9), input: .bernoulli(rate: 0.2))
            let wide = try GradientRecursion.propagate(network, surrogate: surrogate, resetGradient: .detached)
            return try GradientRecursion.finiteWidthFirstStep(network, surrogate: surrogate).logMembraneVariance[0]
                - wide.layers[0].logPooledMembraneVariance
        }
        #expect(shortfall[0] < shortfall[1] && shortfall[1] < 0)
    }
}
