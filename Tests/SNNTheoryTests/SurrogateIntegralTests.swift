import Foundation
import SNNModel
import Testing
@testable import SNNTheory

/// The surrogate integrals of THEORY.md section 7 against independent mpmath tables
/// (scripts/reference/surrogate_integrals.py, 45 digits): closed forms and quadrature both within 1e-12 relative,
/// to |m| / sigma = 30.
@Suite struct SurrogateIntegralTests {
    static let oneStep = try! ReferenceTable(named: "surrogate_integrals.csv")
    static let crossStep = try! ReferenceTable(named: "surrogate_cross_step.csv")
    static let critical = try! ReferenceTable(named: "surrogate_critical.csv")

    /// The acceptance tolerance. The table's inputs are decimals and the code's their nearest Doubles; at
    /// |m| / sigma = 30 that alone moves a value by about (m / sigma)^2 x 1.1e-16 = 1e-13 relative.
    static let tolerance = 1e-12

    static func surrogate(_ table: ReferenceTable, _ row: [String]) throws -> Surrogate {
        let kind = try #require(Surrogate.Kind(rawValue: table.text(row, "surrogate")))
        if kind == .straightThrough { return try Surrogate(kind) }
        return try Surrogate(kind, scale: table.value(row, "scale"), amplitude: table.value(row, "amplitude"))
    }

    static func rows(of kind: Surrogate.Kind) -> [[String]] {
        oneStep.rows.filter { oneStep.text($0, "surrogate") == kind.rawValue }
    }

    @Test func tableCoversEverySurrogateBothTailsAndEverySigma() throws {
        for kind in Surrogate.Kind.allCases {
            let rows = Self.rows(of: kind)
            let ratios = rows.compactMap { row in
                Self.oneStep.value(row, "m").flatMap { m in Self.oneStep.value(row, "sigma").map { m / $0 } }
            }
            #expect(ratios.contains { $0 <= -29.999 } && ratios.contains { $0 >= 29.999 }, "\(kind)")
            #expect(Set(rows.map { Self.oneStep.text($0, "sigma") }) == ["0.1", "0.5", "1", "3"], "\(kind)")
            #expect(rows.count >= 60, "\(kind)")
        }
        for kind in Surrogate.Kind.allCases {
            #expect(Self.crossStep.rows.contains { Self.crossStep.text($0, "surrogate") == kind.rawValue })
        }
    }

    /// Both moments of one row by `evaluate`, against the table, within the tolerance; returns how many were checked.
    static func check(_ kind: Surrogate.Kind, label: String,
                      _ evaluate: (Surrogate, Double, Double, Int) throws -> Double?) throws -> Int {
        var checked = 0
        for row in rows(of: kind) {
            let h = try surrogate(oneStep, row)
            let m = try #require(oneStep.value(row, "m")), sigma = try #require(oneStep.value(row, "sigma"))
            for (power, column) in [(1, "expectation_h"), (2, "expectation_h2")] {
                let expected = try #require(oneStep.value(row, column))
                guard expected == 0 || abs(expected) > 1e-300 else { continue }
                guard let actual = try evaluate(h, m, sigma, power) else { continue }
                #expect(relativeError(actual, expected) < tolerance,
                        "\(label) E[h^\(power)] of \(h) at m \(m) sigma \(sigma): \(actual) vs \(expected)")
                checked += 1
            }
        }
        return checked
    }

    @Test(arguments: [Surrogate.Kind.straightThrough, .triangular, .rectangular, .piecewiseQuadratic,
                      .spikeRateEscape, .gaussian])
    func closedFormMatchesTheMpmathTableIntoBothTails(kind: Surrogate.Kind) throws {
        let checked = try Self.check(kind, label: "closed form") { h, m, sigma, power in
            power == 1 ? SurrogateIntegrals.closedFormExpectation(h, offset: m, standardDeviation: sigma)
                : SurrogateIntegrals.closedFormSecondMoment(h, offset: m, standardDeviation: sigma)
        }
        #expect(checked == 2 * Self.rows(of: kind).count)
    }

    @Test func atanFastSigmoidAndSigmoidHaveNoClosedFormButAreIntegrated() throws {
        for kind in [Surrogate.Kind.atan, .fastSigmoid, .sigmoid] {
            let h = try Surrogate(kind)
            #expect(SurrogateIntegrals.closedFormExpectation(h, offset: -1, standardDeviation: 1) == nil)
            #expect(SurrogateIntegrals.closedFormSecondMoment(h, offset: -1, standardDeviation: 1) == nil)
            let byQuadrature = try SurrogateIntegrals.expectationByQuadrature(h, offset: -1, standardDeviation: 1)
            #expect(try SurrogateIntegrals.expectation(h, offset: -1, standardDeviation: 1) == byQuadrature.value)
        }
        let rect = try Surrogate(.rectangular)
        #expect(try SurrogateIntegrals.secondMoment(rect, offset: -1, standardDeviation: 1)
                == SurrogateIntegrals.closedFormSecondMoment(rect, offset: -1, standardDeviation: 1))
    }

    @Test(arguments: Surrogate.Kind.allCases)
    func quadratureMatchesTheMpmathTableIntoBothTails(kind: Surrogate.Kind) throws {
        var worstBound = 0.0
        let checked = try Self.check(kind, label: "quadrature") { h, m, sigma, power in
            let q = power == 1 ? try SurrogateIntegrals.expectationByQuadrature(h, offset: m, standardDeviation: sigma)
                : try SurrogateIntegrals.secondMomentByQuadrature(h, offset: m, standardDeviation: sigma)
            if q.value != 0 { worstBound = max(worstBound, q.absoluteError / abs(q.value)) }
            return q.value
        }
        #expect(checked == 2 * Self.rows(of: kind).count)
        // GSL's own bound claims the same accuracy.
        #expect(worstBound < Self.tolerance)
    }

    @Test(arguments: Surrogate.Kind.allCases)
    func zeroDeviationIsTheDeterministicPotential(kind: Surrogate.Kind) throws {
        let h = try Surrogate(kind)
        for m in [-2.0, -0.3, 0, 0.3, 1, 2] {
            let v = h.derivative(m)
            #expect(try SurrogateIntegrals.expectation(h, offset: m, standardDeviation: 0) == v)
            #expect(try SurrogateIntegrals.secondMoment(h, offset: m, standardDeviation: 0) == v * v)
            #expect(try SurrogateIntegrals.expectationByQuadrature(h, offset: m, standardDeviation: 0).value == v)
            #expect(try SurrogateIntegrals.crossMoment(h, offset: m, standardDeviation: 0, laterOffset: m,
                                                       laterStandardDeviation: 0, correlation: 0.3).value == v * v)
        }
    }

    @Test(arguments: Surrogate.Kind.allCases)
    func crossStepMatchesTheMpmathTable(kind: Surrogate.Kind) throws {
        var checked = 0
        for row in Self.crossStep.rows where Self.crossStep.text(row, "surrogate") == kind.rawValue {
            let h = try Self.surrogate(Self.crossStep, row)
            let v = { (name: String) in try #require(Self.crossStep.value(row, name)) }
            let (ms, ss, mt, st, rho) = (try v("m_s"), try v("sigma_s"), try v("m_t"), try v("sigma_t"), try v("rho"))
            let expected = try v("expectation_hh")
            let actual = try SurrogateIntegrals.crossMoment(h, offset: ms, standardDeviation: ss, laterOffset: mt,
                                                            laterStandardDeviation: st, correlation: rho)
            // triangular's value is a difference of probabilities (0 by symmetry in one row): relative to c^2 there.
            let c2 = h.amplitude * h.amplitude * h.scale * h.scale
            let scale = h.kind == .triangular ? max(abs(expected), c2) : abs(expected)
            #expect(abs(actual.value - expected) < Self.tolerance * scale,
                    "\(h) at \(ms) \(ss) \(mt) \(st) rho \(rho): \(actual.value) vs \(expected)")
            #expect(actual.absoluteError <= Self.tolerance * scale)
            if let closed = SurrogateIntegrals.closedFormCrossMoment(h, offset: ms, standardDeviation: ss,
                                                                     laterOffset: mt, laterStandardDeviation: st,
                                                                     correlation: rho) {
                #expect(relativeError(closed, expected) < Self.tolerance,
                        "closed form of \(h) at \(ms) \(ss) \(mt) \(st) rho \(rho): \(closed) vs \(expected)")
            }
            checked += 1
        }
        #expect(checked >= 8)
    }

    /// Two identities that hold whatever the table says: at rho = 1 with equal marginals the two steps are one,
    /// and at rho = 0 they are independent.
    @Test(arguments: Surrogate.Kind.allCases)
    func crossStepIsTheSecondMomentAtRhoOneAndTheProductAtRhoZero(kind: Surrogate.Kind) throws {
        let h = try Surrogate(kind)
        let same = try SurrogateIntegrals.crossMoment(h, offset: -0.7, standardDeviation: 0.8, laterOffset: -0.7,
                                                      laterStandardDeviation: 0.8, correlation: 1)
        let second = try SurrogateIntegrals.secondMoment(h, offset: -0.7, standardDeviation: 0.8)
        #expect(relativeError(same.value, second) < 1e-12, "\(h): \(same.value) vs \(second)")
        let independent = try SurrogateIntegrals.crossMoment(h, offset: -1.2, standardDeviation: 0.5, laterOffset: 0.4,
                                                             laterStandardDeviation: 1.5, correlation: 0)
        let product = try SurrogateIntegrals.expectation(h, offset: -1.2, standardDeviation: 0.5)
            * SurrogateIntegrals.expectation(h, offset: 0.4, standardDeviation: 1.5)
        #expect(relativeError(independent.value, product) < 1e-12, "\(h): \(independent.value) vs \(product)")
    }

    @Test func criticalScalesMatchTheMpmathRoots() throws {
        var checked = 0
        for row in Self.critical.rows {
            let kind = try #require(Surrogate.Kind(rawValue: Self.critical.text(row, "surrogate")))
            let theta = try #require(Self.critical.value(row, "theta"))
            let variance = try #require(Self.critical.value(row, "target_variance"))
            let expected = try #require(Self.critical.value(row, "critical_scale"))
            let actual = try SurrogateIntegrals.criticalScale(kind, threshold: theta, targetVariance: variance)
            #expect(relativeError(actual, expected) < Self.tolerance, "\(kind) theta \(theta): \(actual) vs \(expected)")
            let gain = try SurrogateIntegrals.backwardGain(Surrogate(kind, scale: actual), threshold: theta,
                                                           targetVariance: variance)
            #expect(abs(gain - 1) < 1e-12)
            checked += 1
        }
        #expect(checked >= 8)
    }

    @Test func criticalScaleRefusesStraightThroughAndAnUnreachableGain() throws {
        #expect(throws: SurrogateIntegralError.noScale(.straightThrough)) {
            try SurrogateIntegrals.criticalScale(.straightThrough)
        }
        // A triangular surrogate of height c has chi_back = c^2 / Q(1) at unit variance: never 1 for
        // amplitude x c in [1e-4, 1e4] when the amplitude is 1e-6.
        #expect(throws: SurrogateIntegralError.self) {
            try SurrogateIntegrals.criticalScale(.triangular, amplitude: 1e-6)
        }
        let c = try SurrogateIntegrals.criticalScale(.triangular)
        #expect(abs(c - StandardNormal.tail(1).squareRoot()) < 1e-14)
    }
}
