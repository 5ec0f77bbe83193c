import Foundation

/// The covariances between distinct elements of one node's output at the first step (THEORY.md section 9.4), kept
/// sparse: for element a, the elements b != a whose covariance with a is not zero, and Cov(a, b). Both (a, b) and
/// (b, a) are stored. Exact per position: borders and padding need no special case, since every pair is its own entry.
struct PairCovariance: Sendable {
    var partners: [[Int32]]
    var values: [[Double]]

    init(count: Int) {
        partners = Array(repeating: [], count: count)
        values = Array(repeating: [], count: count)
    }

    var count: Int { partners.count }
    var pairCount: Int { partners.reduce(0) { $0 + $1.count } / 2 }

    /// Each element's covariances multiplied by s_a s_b (a `scale` node).
    func scaled(_ s: (Int) -> Double) -> PairCovariance {
        var result = self
        for a in 0..<count {
            for n in 0..<partners[a].count { result.values[a][n] *= s(a) * s(Int(partners[a][n])) }
        }
        return result
    }

    /// The sum of several nodes' covariances (several edges into one node; the nodes are taken as independent of
    /// each other, so only each one's own pairs add).
    static func sum(_ parts: [PairCovariance], count: Int) -> PairCovariance {
        var result = PairCovariance(count: count)
        var scratch = [Double](repeating: 0, count: count), marked = [Bool](repeating: false, count: count)
        for a in 0..<count {
            var touched: [Int32] = []
            for part in parts {
                for (b, c) in zip(part.partners[a], part.values[a]) {
                    if !marked[Int(b)] {
                        marked[Int(b)] = true
                        touched.append(b)
                    }
                    scratch[Int(b)] += c
                }
            }
            touched.sort()
            for b in touched {
                result.partners[a].append(b)
                result.values[a].append(scratch[Int(b)])
                scratch[Int(b)] = 0
                marked[Int(b)] = false
            }
        }
        return result
    }
}

/// A linear node y = A x (+ bias) as its sparse rows: for output a, the inputs j it reads and A_aj.
struct LinearRows: Sendable {
    var inputs: [[Int32]]
    var weights: [[Double]]
    let inputCount: Int

    /// Var[y_a] = sum_jk A_aj A_ak Cov(x_j, x_k), Var[x_j] on the diagonal and `pairs` off it (none: independent
    /// elements), and, with `outputPairs`, Cov(y_a, y_b) = sum_jk A_aj A_bk Cov(x_j, x_k) for every b != a whose
    /// window meets a's inputs or their partners.
    /// The output pairs stop (nil: taken as independent, A1) once their multiply-adds pass `workLimit`.
    func propagate(variance: [Double], pairs: PairCovariance?, outputPairs: Bool,
                   workLimit: Double = .infinity) -> ([Double], PairCovariance?) {
        var outputPairs = outputPairs
        var work = 0.0
        let outputs = inputs.count
        var columns: [[(Int32, Double)]] = []
        if outputPairs {
            columns = Array(repeating: [], count: inputCount)
            for a in 0..<outputs {
                for (j, w) in zip(inputs[a], weights[a]) { columns[Int(j)].append((Int32(a), w)) }
            }
        }
        var result = [Double](repeating: 0, count: outputs)
        var out = outputPairs ? PairCovariance(count: outputs) : nil
        var t = [Double](repeating: 0, count: inputCount), tMarked = [Bool](repeating: false, count: inputCount)
        var s = [Double](repeating: 0, count: outputPairs ? outputs : 0)
        var sMarked = [Bool](repeating: false, count: outputPairs ? outputs : 0)
        var touchedIn: [Int32] = [], touchedOut: [Int32] = []
        for a in 0..<outputs {
            // t = (row a of A) times the input covariance.
            for (j, w) in zip(inputs[a], weights[a]) {
                let jj = Int(j)
                if !tMarked[jj] { tMarked[jj] = true; touchedIn.append(j) }
                t[jj] += w * variance[jj]
                if let pairs {
                    for (k, c) in zip(pairs.partners[jj], pairs.values[jj]) {
                        let kk = Int(k)
                        if !tMarked[kk] { tMarked[kk] = true; touchedIn.append(k) }
                        t[kk] += w * c
                    }
                }
            }
            var v = 0.0
            for (j, w) in zip(inputs[a], weights[a]) { v += w * t[Int(j)] }
            result[a] = max(0, v)
            if outputPairs {
                for k in touchedIn {
                    let tk = t[Int(k)]
                    guard tk != 0 else { continue }
                    work += Double(columns[Int(k)].count)
                    for (b, w) in columns[Int(k)] {
                        let bb = Int(b)
                        if !sMarked[bb] { sMarked[bb] = true; touchedOut.append(b) }
                        s[bb] += tk * w
                    }
                }
                touchedOut.sort()
                for b in touchedOut {
                    let bb = Int(b)
                    if bb != a && s[bb] != 0 {
                        out!.partners[a].append(b)
                        out!.values[a].append(s[bb])
                    }
                    s[bb] = 0
                    sMarked[bb] = false
                }
                touchedOut.removeAll(keepingCapacity: true)
                if work > workLimit {
                    outputPairs = false
                    out = nil
                }
            }
            for k in touchedIn {
                t[Int(k)] = 0
                tMarked[Int(k)] = false
            }
            touchedIn.removeAll(keepingCapacity: true)
        }
        return (result, out.flatMap { $0.pairCount > 0 ? $0 : nil })
    }
}
