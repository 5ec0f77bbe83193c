import Foundation
@testable import SNNTheory
import Testing

/// The tail of a weighted Bernoulli sum against `Reference/bernoulli_sum_tail.csv` (scripts/reference/
/// bernoulli_sum_tail.py: every one of the 2^n sums enumerated in NumPy up to n = 20, the two halves joined by
/// searchsorted at n = 32 and 40), at t = E[S] + k sd[S] for k = -2 ... 4.
@Suite struct BernoulliSumTests {
    struct Case {
        let name: String
        let weights: [Double]
        let probabilities: [Double]
        let t: Double
        let tail: Double
        let inclusiveTail: Double
    }

    static func cases() throws -> [Case] {
        let table = try ReferenceTable(named: "bernoulli_sum_tail.csv")
        return table.rows.map { row in
            Case(name: table.text(row, "case"),
                 weights: table.text(row, "weights").split(separator: " ").map { Double($0)! },
                 probabilities: table.text(row, "probabilities").split(separator: " ").map { Double($0)! },
                 t: table.value(row, "t")!, tail: table.value(row, "tail")!,
                 inclusiveTail: table.value(row, "tail_inclusive")!)
        }
    }

    /// Up to `BernoulliSum.exactLimit` = 24 terms, where the method is used; one enumeration per case.
    @Test func exactEnumerationMatchesTheNumPyTable() throws {
        var checked = 0
        var built: (name: String, sum: BernoulliSum)?
        for c in try Self.cases() where c.weights.count <= BernoulliSum.exactLimit {
            if built?.name != c.name {
                built = (c.name, BernoulliSum(weights: c.weights, probabilities: c.probabilities, method: .exact))
            }
            let sum = built!.sum
            #expect(abs(sum.tail(c.t) - c.tail) <= 1e-12, "\(c.name) t \(c.t)")
            #expect(abs(sum.tail(c.t, inclusive: true) - c.inclusiveTail) <= 1e-12, "\(c.name) t \(c.t)")
            checked += 1
        }
        #expect(checked == 175)
    }

    /// Where the saddle point is used (more than 24 terms: the table's n = 32 and 40) and no weight dominates, its
    /// largest error over t = E[S] - 2 sd ... E[S] + 4 sd is below the Gaussian's in every case. The reference is the
    /// midpoint of P(S > t) and P(S >= t): both approximations treat S as continuous. Below 24 terms atoms (P(S = 0) =
    /// 0.95^14 = 0.49 at p = 0.05) make both miss by up to 0.2-0.4, which is why the exact sum is used there.
    @Test func saddlePointBeatsTheGaussianWhereItIsUsed() throws {
        var byCase: [String: (saddle: Double, gaussian: Double)] = [:]
        for c in try Self.cases() where !c.name.hasPrefix("dominated") && c.weights.count > BernoulliSum.exactLimit {
            let saddle = BernoulliSum(weights: c.weights, probabilities: c.probabilities, method: .saddlePoint)
            let gaussian = BernoulliSum(weights: c.weights, probabilities: c.probabilities, method: .gaussian)
            #expect(saddle.method == .saddlePoint && gaussian.method == .gaussian)
            let reference = (c.tail + c.inclusiveTail) / 2
            let old = byCase[c.name] ?? (0, 0)
            byCase[c.name] = (max(old.saddle, abs(saddle.tail(c.t) - reference)),
                              max(old.gaussian, abs(gaussian.tail(c.t) - reference)))
        }
        #expect(byCase.count == 8)
        for (name, e) in byCase.sorted(by: { $0.key < $1.key }) {
            print("bernoulli-sum \(name): largest |error| saddle point \(e.saddle), Gaussian \(e.gaussian)")
            #expect(e.saddle < e.gaussian, "\(name)")
        }
    }
}
