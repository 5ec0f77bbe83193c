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
        var scratch = SparseAccumulator(count: count)
        for a in 0..<count {
            for part in parts {
                for (b, c) in zip(part.partners[a], part.values[a]) { scratch.add(b, c) }
            }
            scratch.drain { b, c in
                result.partners[a].append(b)
                result.values[a].append(c)
            }
        }
        return result
    }
}

/// A dense scratch vector that remembers the entries it touched, so reading them out and clearing costs only those.
struct SparseAccumulator {
    private var values: [Double]
    private var marked: [Bool]
    private(set) var touched: [Int32] = []

    init(count: Int) {
        values = Array(repeating: 0, count: count)
        marked = Array(repeating: false, count: count)
    }

    subscript(_ i: Int32) -> Double { values[Int(i)] }

    mutating func add(_ i: Int32, _ value: Double) {
        let index = Int(i)
        if !marked[index] {
            marked[index] = true
            touched.append(i)
        }
        values[index] += value
    }

    /// Calls `body` with every touched entry in increasing index, then clears them.
    mutating func drain(_ body: (Int32, Double) -> Void) {
        touched.sort()
        for i in touched {
            body(i, values[Int(i)])
            values[Int(i)] = 0
            marked[Int(i)] = false
        }
        touched.removeAll(keepingCapacity: true)
    }

    mutating func clear() {
        for i in touched {
            values[Int(i)] = 0
            marked[Int(i)] = false
        }
        touched.removeAll(keepingCapacity: true)
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
        var t = SparseAccumulator(count: inputCount), covariance = SparseAccumulator(count: outputPairs ? outputs : 0)
        for a in 0..<outputs {
            // t = (row a of A) times the input covariance.
            for (j, w) in zip(inputs[a], weights[a]) {
                t.add(j, w * variance[Int(j)])
                if let pairs {
                    for (k, c) in zip(pairs.partners[Int(j)], pairs.values[Int(j)]) { t.add(k, w * c) }
                }
            }
            var v = 0.0
            for (j, w) in zip(inputs[a], weights[a]) { v += w * t[j] }
            result[a] = max(0, v)
            if outputPairs {
                for k in t.touched {
                    let tk = t[k]
                    guard tk != 0 else { continue }
                    work += Double(columns[Int(k)].count)
                    for (b, w) in columns[Int(k)] { covariance.add(b, tk * w) }
                }
                covariance.drain { b, c in
                    if Int(b) != a && c != 0 {
                        out!.partners[a].append(b)
                        out!.values[a].append(c)
                    }
                }
                if work > workLimit {
                    outputPairs = false
                    out = nil
                }
            }
            t.clear()
        }
        return (result, out.flatMap { $0.pairCount > 0 ? $0 : nil })
    }
}
