import SNNModel

/// One weight matrix W_l exactly as the simulator draws it, laid out for export.
///
/// The simulator draws column j of W_l (the weights leaving input j, one per output neuron) from the stream
/// (seed, network, layer l, block j) with `fillNormal` or `fillUniform`, in Float32, scaled by sqrt(Var[w_l]) (or a
/// half-width of sqrt(3 Var[w_l])). `rowMajor` makes the same draws and returns them as an outputs x inputs matrix
/// in row-major (C) order: PyTorch's `nn.Linear.weight` layout, and `nn.Conv2d.weight` when the inputs are
/// (channel, kernel row, kernel column) flattened in that order. With `network` 0 the matrix is the one
/// `simulate --seed S` uses for its first network.
public enum WeightMatrix {
    /// Columns drawn before they are scattered into rows: keeps the scatter's writes within a few cache lines per row.
    static let columnsPerBlock = 64

    /// W_l as `outputs` rows of `inputs` Float32 values, row-major. Mean 0, variance `variance`.
    public static func rowMajor(seed: UInt64, network: Int = 0, layer: Int, outputs: Int, inputs: Int,
                                variance: Double, distribution: WeightDistribution) -> [Float]
    {
        precondition(outputs >= 1 && inputs >= 1 && variance >= 0 && variance.isFinite)
        var matrix = [Float](repeating: 0, count: outputs * inputs)
        let scale = Float(variance.squareRoot()), halfWidth = Float((3 * variance).squareRoot())
        var columns = [Float](repeating: 0, count: columnsPerBlock * outputs)
        matrix.withUnsafeMutableBufferPointer { w in
            columns.withUnsafeMutableBufferPointer { block in
                var first = 0
                while first < inputs {
                    let count = min(columnsPerBlock, inputs - first)
                    for c in 0..<count {
                        var rng = Xoshiro256StarStar(seed: seed, network: network, layer: layer, block: first + c)
                        let column = block.baseAddress! + c * outputs
                        switch distribution {
                        case .gaussian: rng.fillNormal(column, count: outputs, scale: scale)
                        case .uniform: rng.fillUniform(column, count: outputs, halfWidth: halfWidth)
                        }
                    }
                    for i in 0..<outputs {
                        let row = w.baseAddress! + i * inputs + first
                        for c in 0..<count { row[c] = block[c * outputs + i] }
                    }
                    first += count
                }
            }
        }
        return matrix
    }
}
