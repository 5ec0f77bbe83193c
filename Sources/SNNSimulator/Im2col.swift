import SNNLinearAlgebra
import SNNModel

/// A convolution (PyTorch's cross-correlation, zero padding, channels first) as im2col and matrix products.
///
/// For group g of G, with C_g = C / G input and O_g = O / G output channels and K_g = C_g kh kw inputs per window:
/// row r = b P + p of the im2col matrix (sample b, output position p = y W_out + x of P) holds the window of p in
/// the zero-padded input of b, column k = (c kh + i) kw + j holding channel g C_g + c at (y s_y + i d_y, x s_x + j
/// d_x). Then (rows x K_g) · W_g^T (K_g x O_g) gives every output of the group, row r's entry o being output channel
/// g O_g + o at p, to which the bias is added. The rows are cut into work items of a fixed number of rows (a
/// worker's rows and product fit its cache); each item's product is one `MatrixMultiply` call on its worker's
/// thread. Every entry is a sum over k in an order fixed by K_g alone, so neither the cut nor the thread count
/// changes a bit.
struct ConvolutionPlan: Sendable {
    let window: WindowGeometry
    let groups: Int
    let groupInputs: Int, groupOutputs: Int
    /// K_g.
    let columns: Int
    /// Per group g, W_g^T row-major (K_g x O_g): entry (k, o) is the weight of output channel g O_g + o at window
    /// column k.
    let weights: [Float]
    let bias: [Float]
    /// Per window column k, its offset in a padded sample from the window's first element: c H_p W_p + i d_y W_p + j d_x.
    let offsets: [Int]
    let rowsPerItem: Int
    let outputChannels: Int

    init(_ c: NetworkGraph.Convolution, inputShape: [Int]) {
        window = WindowGeometry(input: inputShape, kernel: c.kernel, stride: c.stride, padding: c.padding,
                                dilation: c.dilation)
        groups = c.groups
        groupInputs = c.inputChannels / c.groups
        groupOutputs = c.outputChannels / c.groups
        outputChannels = c.outputChannels
        columns = c.fanIn
        var transposed = [Float](repeating: 0, count: c.weight.count)
        for g in 0..<groups {
            for o in 0..<groupOutputs {
                for k in 0..<columns {
                    transposed[(g * columns + k) * groupOutputs + o] = c.weight[(g * groupOutputs + o) * columns + k]
                }
            }
        }
        weights = transposed
        bias = c.bias
        let w = window
        offsets = (0..<columns).map { k in
            let channel = k / (w.kernelHeight * w.kernelWidth), i = k / w.kernelWidth % w.kernelHeight
            let j = k % w.kernelWidth
            return (channel * w.paddedHeight + i * w.dilationY) * w.paddedWidth + j * w.dilationX
        }
        rowsPerItem = GraphPlan.rowsPerItem(columns: columns)
    }

    /// Work items for a batch of `batch` samples.
    func items(batch: Int) -> Int { (batch * window.positions + rowsPerItem - 1) / rowsPerItem }

    /// Copies sample b of `input` (C x H x W) into `padded` (C x H_p x W_p) with zeros around it.
    func pad(sample b: Int, input: UnsafePointer<Float>, padded: UnsafeMutablePointer<Float>) {
        let w = window
        let source = input + b * w.inputCount, target = padded + b * w.paddedCount
        target.update(repeating: 0, count: w.paddedCount)
        for c in 0..<w.channels {
            for y in 0..<w.height {
                (target + (c * w.paddedHeight + y + w.paddingY) * w.paddedWidth + w.paddingX)
                    .update(from: source + (c * w.height + y) * w.width, count: w.width)
            }
        }
    }

    /// Work item `item`: the im2col rows of its range, their product for every group, and the outputs written to
    /// `output` (B x O x P) with the bias. `padded` is the padded input (B x C x H_p x W_p; the input itself when there
    /// is no padding); `rows` and `product` hold at least `rowsPerItem` x K_g and x O_g floats.
    func run(item: Int, batch: Int, padded: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
             rows: UnsafeMutablePointer<Float>, product: UnsafeMutablePointer<Float>) {
        let w = window, positions = w.positions
        let first = item * rowsPerItem, last = min(first + rowsPerItem, batch * positions)
        let count = last - first
        let groupStride = groupInputs * w.paddedHeight * w.paddedWidth
        weights.withUnsafeBufferPointer { weights in
            offsets.withUnsafeBufferPointer { offsets in
                for g in 0..<groups {
                    for r in first..<last {
                        let b = r / positions, p = r % positions
                        let y = p / w.outputWidth, x = p % w.outputWidth
                        let start = padded + b * w.paddedCount + g * groupStride
                            + y * w.strideY * w.paddedWidth + x * w.strideX
                        let row = rows + (r - first) * columns
                        for k in 0..<columns { row[k] = start[offsets[k]] }
                    }
                    MatrixMultiply.multiply(
                        UnsafeBufferPointer(start: rows, count: count * columns),
                        UnsafeBufferPointer(rebasing: weights[g * columns * groupOutputs ..< (g + 1) * columns * groupOutputs]),
                        into: UnsafeMutableBufferPointer(start: product, count: count * groupOutputs),
                        m: count, k: columns, n: groupOutputs, threads: 1)
                    scatter(first: first, count: count, group: g, product: product, output: output)
                }
            }
        }
    }

    /// Row r's entry o to output (b, g O_g + o, p), plus the bias.
    private func scatter(first: Int, count: Int, group g: Int, product: UnsafePointer<Float>,
                         output: UnsafeMutablePointer<Float>) {
        let positions = window.positions, perSample = outputChannels * positions
        for local in 0..<count {
            let r = first + local
            let b = r / positions, p = r % positions
            let target = output + b * perSample + g * groupOutputs * positions + p
            let source = product + local * groupOutputs
            if bias.isEmpty {
                for o in 0..<groupOutputs { target[o * positions] = source[o] }
            } else {
                for o in 0..<groupOutputs { target[o * positions] = source[o] + bias[g * groupOutputs + o] }
            }
        }
    }
}
