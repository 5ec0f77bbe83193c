import Foundation

/// The law of S = sum_j w_j x_j for independent x_j ~ Bernoulli(p_j): a neuron's input at the first step when the
/// elements reaching it are spikes (THEORY.md section 9.1). Its tail P(S > t) replaces the Gaussian Q((t - E[S]) /
/// sd[S]) where the central limit theorem is doubtful.
///
/// - `exact` (at most `exactLimit` random terms): the 2^n sums, by meeting in the middle: each half's 2^(n/2) sums and
///   probabilities enumerated and sorted, the tail of the second half summed from the top, and one merge over the
///   first half. Exact up to rounding (the probabilities are products of n factors and sums of at most 2^n terms).
/// - `saddlePoint` (up to `saddlePointLimit` terms): Lugannani and Rice's formula from the cumulant generating function
///   K(s) = sum_j log(1 - p_j + p_j e^(s w_j)): with K'(s*) = t, w = sign(s*) sqrt(2 (s* t - K(s*))) and
///   v = s* sqrt(K''(s*)), P(S > t) = Q(w) + phi(w) (1/v - 1/w); near the mean (|v| < 1e-3) the one-term Edgeworth
///   expansion Q(z) + kappa_3 / (6 kappa_2^(3/2)) (z^2 - 1) phi(z) instead. It treats S as continuous, so an atom at t
///   (equal weights, a dominant weight) is split, not counted.
/// - `gaussian` (beyond): Q((t - E[S]) / sd[S]).
///
/// Terms with p_j in {0, 1} or w_j = 0 are constants and are folded into t by `init`. The limits come from the
/// measurements of THEORY.md section 9.1 (scripts/reference/bernoulli_sum_tail.py).
public struct BernoulliSum: Sendable {
    public enum Method: String, Sendable, CaseIterable {
        case exact
        case saddlePoint = "saddle-point"
        case gaussian
    }

    /// At most this many random terms are enumerated (2 x 2^12 sums per neuron).
    public static let exactLimit = 24
    /// Up to this many random terms the saddle point is used; beyond, the Gaussian (cheaper, and as accurate there).
    public static let saddlePointLimit = 256

    /// The random terms (0 < p < 1, w != 0) and the constant the others add.
    public let weights: [Double]
    public let probabilities: [Double]
    public let constant: Double
    public let method: Method
    public let mean: Double
    public let variance: Double

    /// The halves' sums for `exact`: the first half ascending with its probabilities; the second ascending with the
    /// probability of the sums at or above each.
    private let lower: (values: [Double], probabilities: [Double])
    private let upper: (values: [Double], tail: [Double])

    /// `method` nil chooses by the number of random terms (`exactLimit`, `saddlePointLimit`).
    public init(weights: [Double], probabilities: [Double], method: Method? = nil) {
        var w: [Double] = [], p: [Double] = [], constant = 0.0
        for (weight, probability) in zip(weights, probabilities) {
            if weight == 0 || probability <= 0 { continue }
            if probability >= 1 { constant += weight; continue }
            w.append(weight)
            p.append(probability)
        }
        self.weights = w
        self.probabilities = p
        self.constant = constant
        let chosen = method ?? (w.count <= Self.exactLimit ? .exact
            : w.count <= Self.saddlePointLimit ? .saddlePoint : .gaussian)
        self.method = chosen == .exact && w.count > 2 * Self.exactLimit ? .saddlePoint : chosen
        mean = constant + zip(w, p).reduce(0.0) { $0 + $1.0 * $1.1 }
        variance = zip(w, p).reduce(0.0) { $0 + $1.0 * $1.0 * $1.1 * (1 - $1.1) }
        if self.method == .exact {
            let half = w.count / 2
            let first = Self.sums(Array(w[..<half]), Array(p[..<half]))
            let second = Self.sums(Array(w[half...]), Array(p[half...]))
            var tail = second.probabilities
            var running = 0.0
            for k in stride(from: tail.count - 1, through: 0, by: -1) {
                running += tail[k]
                tail[k] = running
            }
            lower = first
            upper = (second.values, tail)
        } else {
            lower = ([], [])
            upper = ([], [])
        }
    }

    /// The 2^n sums of a half, ascending, with their probabilities.
    static func sums(_ w: [Double], _ p: [Double]) -> (values: [Double], probabilities: [Double]) {
        var values: [Double] = [0], probabilities: [Double] = [1]
        values.reserveCapacity(1 << w.count)
        probabilities.reserveCapacity(1 << w.count)
        for (weight, probability) in zip(w, p) {
            let count = values.count
            for k in 0..<count {
                values.append(values[k] + weight)
                probabilities.append(probabilities[k] * probability)
                probabilities[k] *= 1 - probability
            }
        }
        let order = values.indices.sorted { values[$0] < values[$1] }
        return (order.map { values[$0] }, order.map { probabilities[$0] })
    }

    /// P(S > t), or P(S >= t) when `inclusive`.
    public func tail(_ t: Double, inclusive: Bool = false) -> Double {
        let threshold = t - constant
        if weights.isEmpty { return inclusive ? (threshold <= 0 ? 1 : 0) : (threshold < 0 ? 1 : 0) }
        switch method {
        case .exact:
            // For each first-half sum a (ascending), the second-half sums above t - a: the boundary only moves down.
            var total = 0.0
            var k = upper.values.count
            for (a, probability) in zip(lower.values, lower.probabilities) {
                let bound = threshold - a
                while k > 0 && (inclusive ? upper.values[k - 1] >= bound : upper.values[k - 1] > bound) { k -= 1 }
                if k < upper.values.count { total += probability * upper.tail[k] }
            }
            return min(1, total)
        case .saddlePoint:
            return saddlePointTail(threshold)
        case .gaussian:
            guard variance > 0 else { return 0 }
            return StandardNormal.tail((t - mean) / variance.squareRoot())
        }
    }

    /// K(s), K'(s), K''(s) of the random terms; each log(1 - p + p e^(x)) written so that no exponential overflows.
    func cumulants(_ s: Double) -> (Double, Double, Double) {
        var k0 = 0.0, k1 = 0.0, k2 = 0.0
        for (w, p) in zip(weights, probabilities) {
            let x = s * w
            let pi: Double
            if x > 0 {
                let e = exp(-x)
                k0 += x + log(p + (1 - p) * e)
                pi = p / (p + (1 - p) * e)
            } else {
                let e = exp(x)
                k0 += log(1 - p + p * e)
                pi = p * e / (1 - p + p * e)
            }
            k1 += w * pi
            k2 += w * w * pi * (1 - pi)
        }
        return (k0, k1, k2)
    }

    func saddlePointTail(_ t: Double) -> Double {
        let top = weights.reduce(0.0) { $0 + max($1, 0) }, bottom = weights.reduce(0.0) { $0 + min($1, 0) }
        if t >= top { return 0 }
        if t < bottom { return 1 }
        let randomMean = mean - constant
        let sd = variance.squareRoot()
        // K' increases from `bottom` to `top`: Newton's steps, kept inside a bracket that bisection shrinks.
        var low = -1.0, high = 1.0
        while cumulants(low).1 > t { low *= 2; if low < -1e12 { return 1 } }
        while cumulants(high).1 < t { high *= 2; if high > 1e12 { return 0 } }
        var s = 0.0
        for _ in 0..<200 {
            let (_, k1, k2) = cumulants(s)
            if k1 < t { low = s } else { high = s }
            var next = k2 > 0 ? s - (k1 - t) / k2 : (low + high) / 2
            if !(next > low && next < high) { next = (low + high) / 2 }
            if abs(next - s) <= 1e-14 * max(1, abs(s)) { s = next; break }
            s = next
        }
        let (k0, _, k2) = cumulants(s)
        let v = s * k2.squareRoot()
        if abs(v) < 1e-3 {
            let z = (t - randomMean) / sd
            let k3 = zip(weights, probabilities).reduce(0.0) { $0 + pow($1.0, 3) * $1.1 * (1 - $1.1) * (1 - 2 * $1.1) }
            return min(1, max(0, StandardNormal.tail(z)
                + k3 / (6 * pow(variance, 1.5)) * (z * z - 1) * StandardNormal.density(z)))
        }
        let w = (s > 0 ? 1.0 : -1.0) * max(0, 2 * (s * t - k0)).squareRoot()
        return min(1, max(0, StandardNormal.tail(w) + StandardNormal.density(w) * (1 / v - 1 / w)))
    }
}
