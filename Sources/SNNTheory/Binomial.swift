import Foundation

/// Binomial probabilities B(j; n, p) = C(n, j) p^j q^(n-j), q = 1 - p, for every n, j and p: ln B to within
/// 1e-14 (1 + |ln B|), i.e. B to about 1e-15 relative near the mode (tested against 64-bit-mantissa arithmetic).
///
/// ln B comes from Loader's saddle-point form (C. Loader, "Fast and accurate computation of binomial probabilities",
/// 2000; the algorithm behind R's `dbinom`):
///
///     ln B(j; n, p) = delta(n) - delta(j) - delta(n-j) - D(j, np) - D(n-j, nq) - ln(2 pi j (n-j) / n) / 2
///
/// with delta the Stirling-series remainder and D(x, m) = x ln(x/m) + m - x evaluated without cancellation.
/// The textbook ln C(n, j) + j ln p + (n-j) ln q subtracts two numbers of size n H(p) (about 1800 at n = 4096) and
/// loses n ulp of that, which is 1e-12 relative in B at the widths the chain runs at; Loader's form keeps every term
/// O(1) near the mode and loses nothing. p and q are passed separately so that each keeps full relative accuracy
/// when the other is close to 1.
enum Binomial {
    /// ln B(x; n, p). Requires 0 <= x <= n, p, q in [0, 1] with p + q = 1 to rounding.
    static func logProbability(_ x: Int, trials n: Int, p: Double, q: Double) -> Double {
        if p == 0 { return x == 0 ? 0 : -.infinity }
        if q == 0 { return x == n ? 0 : -.infinity }
        let nD = Double(n)
        if x == 0 {
            if n == 0 { return 0 }
            return p < 0.1 ? -deviance(nD, nD * q) - nD * p : nD * log(q)
        }
        if x == n {
            return q < 0.1 ? -deviance(nD, nD * p) - nD * q : nD * log(p)
        }
        let xD = Double(x), yD = Double(n - x)
        let core = stirlingError(n) - stirlingError(x) - stirlingError(n - x)
            - deviance(xD, nD * p) - deviance(yD, nD * q)
        // ln(2 pi x (n - x) / n); 1 - x/n is formed exactly as (n - x) / n when x is near n, where log1p(-x/n) would
        // lose n ulp to the rounding of x/n.
        let logFraction = 2 * x <= n ? log1p(-xD / nD) : log(yD / nD)
        let logScale = log(2 * Double.pi) + log(xD) + logFraction
        return core - 0.5 * logScale
    }

    /// delta(n) = ln n! - (n + 1/2) ln n + n - ln sqrt(2 pi), the error of Stirling's formula; n >= 1.
    /// The asymptotic series beyond n = 15 (error below 1e-17), and below that the exact downward recursion
    /// delta(n) = delta(n+1) + (n + 1/2) ln(1 + 1/n) - 1, which involves no large cancelling terms.
    static func stirlingError(_ n: Int) -> Double {
        if n > 15 { return stirlingSeries(Double(n)) }
        return smallStirlingErrors[n]
    }

    /// delta(x) = ln Gamma(x + 1) - (x + 1/2) ln x + x - ln sqrt(2 pi) for real x > 0: the series beyond 15, and
    /// below it the direct formula, whose terms are small enough there to cancel without harm (about 1e-15).
    static func stirlingError(real x: Double) -> Double {
        if x > 15 { return stirlingSeries(x) }
        if x == x.rounded(), x >= 1 { return smallStirlingErrors[Int(x)] }
        return lgamma(x + 1) - (x + 0.5) * log(x) + x - 0.5 * log(2 * Double.pi)
    }

    private static func stirlingSeries(_ n: Double) -> Double {
        let s0 = 1.0 / 12, s1 = 1.0 / 360, s2 = 1.0 / 1260, s3 = 1.0 / 1680, s4 = 1.0 / 1188
        let nn = n * n
        if n > 500 { return (s0 - s1 / nn) / n }
        if n > 80 { return (s0 - (s1 - s2 / nn) / nn) / n }
        if n > 35 { return (s0 - (s1 - (s2 - s3 / nn) / nn) / nn) / n }
        return (s0 - (s1 - (s2 - (s3 - s4 / nn) / nn) / nn) / nn) / n
    }

    /// delta(0...15); delta(0) is unused (x = 0 and x = n have their own branches).
    private static let smallStirlingErrors: [Double] = {
        var table = [Double](repeating: 0, count: 16)
        var next = stirlingSeries(16)
        for n in stride(from: 15, through: 1, by: -1) {
            let value = next + (Double(n) + 0.5) * log1p(1 / Double(n)) - 1
            table[n] = value
            next = value
        }
        return table
    }()

    /// D(x, m) = x ln(x / m) + m - x >= 0, the deviance of a count x from a mean m; for x close to m by the series
    /// 2x sum_j v^(2j+1) / (2j+1) - (x - m) v with v = (x - m) / (x + m), since the closed form cancels there.
    static func deviance(_ x: Double, _ m: Double) -> Double {
        if abs(x - m) < 0.1 * (x + m) {
            let v = (x - m) / (x + m), v2 = v * v
            var sum = (x - m) * v
            var term = 2 * x * v
            var j = 1.0
            while true {
                term *= v2
                let next = sum + term / (2 * j + 1)
                if next == sum { return next }
                sum = next
                j += 1
            }
        }
        return x * log(x / m) + m - x
    }

    /// Adds w B(j; n, p) to the row for every j where that term is at least `negligible`: terms j >= mode go to
    /// `out[j]`, terms j < mode to `reversed[n - j]` (the caller adds the two; this keeps both walks ascending).
    ///
    /// The mode's term comes from `logProbability`; the others from the exact ratio
    /// B(j+1) / B(j) = (n - j) / (j + 1) * p / q, walking outward from the mode (the walk down is the walk up of
    /// Binomial(n, q) in the reversed index). B is unimodal, so a walk stops at its first negligible term; beyond it
    /// the terms fall faster than geometrically, and the mass left out on each side is below `negligible` times a few
    /// standard deviations of the binomial. Each step adds a few ulp of relative error, so a term s steps from the
    /// mode is accurate to about 2 s ulp and the row's sum to a few ulp.
    static func accumulate(weight w: Double, trials n: Int, p: Double, q: Double, negligible: Double,
                           tables: BinomialRowTables.Pointers, into out: UnsafeMutablePointer<Double>,
                           reversed: UnsafeMutablePointer<Double>)
    {
        if p == 0 || q == 0 {
            // A deterministic row; it also keeps p / q and q / p finite below.
            if w >= negligible { out[p == 0 ? 0 : n] += w }
            return
        }
        let mode = min(n, Int((Double(n) + 1) * p))
        let top = w * exp(logProbability(mode, trials: n, p: p, q: q))
        if !(top >= negligible) { return }
        out[mode] += top
        walkUp(from: mode, term: top, odds: p / q, trials: n, negligible: negligible, tables: tables, into: out)
        walkUp(from: n - mode, term: top, odds: q / p, trials: n, negligible: negligible, tables: tables,
               into: reversed)
    }

    /// Adds t_{j+1}, t_{j+2}, ... to `out` from t_start = `term`, with t_{j+1} = t_j (n - j) / (j + 1) * odds, while
    /// the terms stay at or above `negligible` (they fall monotonically past the mode).
    ///
    /// Four interleaved chains, t_{j+4} = t_j * step4[j] * odds^4, keep the multiplications independent, so the walk
    /// runs at the processor's throughput instead of its multiplication latency; the ends are walked one step at a
    /// time.
    @inline(__always)
    private static func walkUp(from start: Int, term: Double, odds: Double, trials n: Int, negligible: Double,
                               tables: BinomialRowTables.Pointers, into out: UnsafeMutablePointer<Double>)
    {
        let step = tables.step, step4 = tables.step4
        var lanes = (term, 0.0, 0.0, 0.0)
        var j = start, t = term
        // The first three steps, one at a time, fill the four lanes.
        for i in 1...3 {
            if j == n { return }
            t *= step[j] * odds
            if t < negligible { return }
            j += 1
            out[j] += t
            switch i {
            case 1: lanes.1 = t
            case 2: lanes.2 = t
            default: lanes.3 = t
            }
        }
        let odds2 = odds * odds, odds4 = odds2 * odds2
        var b = start
        while b + 7 <= n {
            let t0 = lanes.0 * (step4[b] * odds4)
            if t0 < negligible { break }
            let t1 = lanes.1 * (step4[b + 1] * odds4)
            let t2 = lanes.2 * (step4[b + 2] * odds4)
            let t3 = lanes.3 * (step4[b + 3] * odds4)
            out[b + 4] += t0
            out[b + 5] += t1
            out[b + 6] += t2
            out[b + 7] += t3
            lanes = (t0, t1, t2, t3)
            b += 4
        }
        j = b + 3
        t = lanes.3
        while j < n {
            t *= step[j] * odds
            if t < negligible { return }
            j += 1
            out[j] += t
        }
    }
}

/// The neighbour ratios of Binomial(n, .) without the odds, shared by every row of a width.
struct BinomialRowTables: Sendable {
    let trials: Int
    /// (n - j) / (j + 1), j = 0...n.
    let step: [Double]
    /// step[j] step[j+1] step[j+2] step[j+3], j = 0...n (0 where the product would reach past n).
    let step4: [Double]

    init(trials n: Int) {
        trials = n
        let step = (0...n).map { Double(n - $0) / Double($0 + 1) }
        self.step = step
        step4 = (0...n).map { j in j + 3 <= n ? step[j] * step[j + 1] * step[j + 2] * step[j + 3] : 0 }
    }

    struct Pointers {
        let step: UnsafePointer<Double>
        let step4: UnsafePointer<Double>
    }

    func withPointers<R>(_ body: (Pointers) throws -> R) rethrows -> R {
        try step.withUnsafeBufferPointer { s in
            try step4.withUnsafeBufferPointer { s4 in
                try body(Pointers(step: s.baseAddress!, step4: s4.baseAddress!))
            }
        }
    }
}
