import SNNModel
@testable import SNNSimulator
import Testing

/// The graph simulator's convolution (zero padding, im2col rows, matrix products per group and work item, outputs
/// scattered back channels first) and pooling, each against the definition written here as nested loops in Double.
@Suite struct GraphOperationTests {
    /// Values uniform on [-1, 1) from a fixed stream.
    static func values(_ count: Int, stream: Int) -> [Float] {
        var rng = Xoshiro256StarStar(seed: 11, network: 0, layer: 0, block: stream)
        return (0..<count).map { _ in 2 * rng.nextUnitFloat() - 1 }
    }

    /// A graph input -> `operation` -> output on the given shapes.
    static func graph(_ operation: NetworkGraph.Operation, input: [Int], output: [Int]) -> NetworkGraph {
        NetworkGraph(nodes: [
            .init(name: "input", operation: .input, inputs: [], delayedInputs: [], inputShape: input, outputShape: input),
            .init(name: "op", operation: operation, inputs: [0], delayedInputs: [], inputShape: input,
                  outputShape: output),
            .init(name: "output", operation: .output, inputs: [1], delayedInputs: [], inputShape: output,
                  outputShape: output),
        ])
    }

    /// Node 1's outputs after one step on the analog input `x` (B x input shape).
    static func firstStep(_ graph: NetworkGraph, x: [Float], batch: Int, threads: Int = 2) throws -> [Float] {
        let input = graph.nodes[0].outputShape
        let simulation = try GraphSimulation(graph: graph, steps: 1, batch: batch,
                                             input: .array(values: x, shape: [batch] + input), threads: threads)
        let workspace = GraphWorkspace(simulation)
        try workspace.step(1)
        return Array(UnsafeBufferPointer(start: workspace.outputs[1], count: batch * graph.nodes[1].outputCount))
    }

    struct ConvolutionCase: CustomStringConvertible {
        let channels: Int, spatial: [Int], outputChannels: Int, kernel: [Int], stride: [Int], padding: [Int]
        let dilation: [Int], groups: Int, bias: Bool, batch: Int
        var description: String {
            "C \(channels) \(spatial) -> \(outputChannels), kernel \(kernel) stride \(stride) padding \(padding) "
                + "dilation \(dilation) groups \(groups)"
        }
    }

    static let convolutionCases: [ConvolutionCase] = [
        // Odd sizes, stride 2 in one dimension, uneven padding and dilation per dimension.
        .init(channels: 3, spatial: [11, 9], outputChannels: 5, kernel: [3, 2], stride: [2, 1], padding: [1, 2],
              dilation: [1, 2], groups: 1, bias: true, batch: 3),
        // Groups, stride 2 in both dimensions, no bias.
        .init(channels: 6, spatial: [13, 10], outputChannels: 4, kernel: [3, 3], stride: [2, 2], padding: [1, 1],
              dilation: [2, 1], groups: 2, bias: false, batch: 2),
        // Depthwise (groups = channels), no padding.
        .init(channels: 4, spatial: [7, 8], outputChannels: 8, kernel: [2, 3], stride: [1, 2], padding: [0, 0],
              dilation: [1, 1], groups: 4, bias: true, batch: 2),
        // A window of 400 inputs (the product sums in blocks of 256) over several work items of rows.
        .init(channels: 16, spatial: [12, 12], outputChannels: 7, kernel: [5, 5], stride: [1, 1], padding: [2, 2],
              dilation: [1, 1], groups: 1, bias: true, batch: 3),
        // 1-D: stride, padding, dilation, groups.
        .init(channels: 4, spatial: [23], outputChannels: 6, kernel: [5], stride: [2], padding: [3], dilation: [2],
              groups: 2, bias: true, batch: 3),
        .init(channels: 1, spatial: [1], outputChannels: 2, kernel: [1], stride: [1], padding: [0], dilation: [1],
              groups: 1, bias: false, batch: 1),
    ]

    @Test(arguments: convolutionCases)
    func convolutionEqualsTheDirectSum(_ c: ConvolutionCase) throws {
        let perGroup = c.channels / c.groups, window = c.kernel.reduce(1, *)
        let weight = Self.values(c.outputChannels * perGroup * window, stream: 1)
        let bias = c.bias ? Self.values(c.outputChannels, stream: 2) : []
        let outputSpatial = (0..<c.spatial.count).map { (d: Int) -> Int in
            let span: Int = c.spatial[d] + 2 * c.padding[d] - c.dilation[d] * (c.kernel[d] - 1) - 1
            return span / c.stride[d] + 1
        }
        let convolution = NetworkGraph.Convolution(
            outputChannels: c.outputChannels, inputChannels: c.channels, kernel: c.kernel, stride: c.stride,
            padding: c.padding, dilation: c.dilation, groups: c.groups, weight: weight, bias: bias)
        let inputShape = [c.channels] + c.spatial, outputShape = [c.outputChannels] + outputSpatial
        let x = Self.values(c.batch * inputShape.reduce(1, *), stream: 3)
        let y = try Self.firstStep(Self.graph(.convolution(convolution), input: inputShape, output: outputShape),
                                   x: x, batch: c.batch)

        // The definition, with 1-D as height 1.
        let (height, width) = c.spatial.count == 2 ? (c.spatial[0], c.spatial[1]) : (1, c.spatial[0])
        let (outHeight, outWidth) = outputSpatial.count == 2 ? (outputSpatial[0], outputSpatial[1]) : (1, outputSpatial[0])
        let pair = { (v: [Int], one: Int) in v.count == 2 ? (v[0], v[1]) : (one, v[0]) }
        let (kh, kw) = pair(c.kernel, 1), (sy, sx) = pair(c.stride, 1), (py, px) = pair(c.padding, 0)
        let (dy, dx) = pair(c.dilation, 1)
        let perGroupOut = c.outputChannels / c.groups
        var worst = 0.0
        for b in 0..<c.batch {
            for o in 0..<c.outputChannels {
                for oy in 0..<outHeight {
                    for ox in 0..<outWidth {
                        var sum = c.bias ? Double(bias[o]) : 0, scale = abs(sum)
                        for ci in 0..<perGroup {
                            let channel = o / perGroupOut * perGroup + ci
                            for i in 0..<kh {
                                let iy = oy * sy - py + i * dy
                                guard iy >= 0, iy < height else { continue }
                                for j in 0..<kw {
                                    let ix = ox * sx - px + j * dx
                                    guard ix >= 0, ix < width else { continue }
                                    let term = Double(weight[((o * perGroup + ci) * kh + i) * kw + j])
                                        * Double(x[((b * c.channels + channel) * height + iy) * width + ix])
                                    sum += term
                                    scale += abs(term)
                                }
                            }
                        }
                        let index: Int = ((b * c.outputChannels + o) * outHeight + oy) * outWidth + ox
                        let got = Double(y[index])
                        worst = max(worst, abs(got - sum) / max(scale, 1e-30))
                    }
                }
            }
        }
        #expect(worst <= 1e-5, "largest error relative to sum |w x|: \(worst)")
    }

    @Test(arguments: [false, true])
    func poolingEqualsTheDirectSum(average: Bool) throws {
        let (channels, height, width, batch) = (3, 9, 7, 2)
        let pooling = NetworkGraph.Pooling(kernel: [3, 2], stride: [2, 2], padding: [1, 1], average: average)
        let (outHeight, outWidth) = ((height + 2 - 3) / 2 + 1, (width + 2 - 2) / 2 + 1)
        let x = Self.values(batch * channels * height * width, stream: 4)
        let y = try Self.firstStep(Self.graph(.pool(pooling), input: [channels, height, width],
                                              output: [channels, outHeight, outWidth]), x: x, batch: batch)
        for b in 0..<batch {
            for c in 0..<channels {
                for oy in 0..<outHeight {
                    for ox in 0..<outWidth {
                        var sum = 0.0
                        for i in 0..<3 {
                            for j in 0..<2 {
                                let iy = oy * 2 - 1 + i, ix = ox * 2 - 1 + j
                                if iy >= 0, iy < height, ix >= 0, ix < width {
                                    sum += Double(x[((b * channels + c) * height + iy) * width + ix])
                                }
                            }
                        }
                        // PyTorch's default: the padded window's full size, 6, divides.
                        let expected = average ? sum / 6 : sum
                        let got = Double(y[((b * channels + c) * outHeight + oy) * outWidth + ox])
                        #expect(abs(got - expected) <= 1e-6, "b \(b) c \(c) (\(oy), \(ox)): \(got) vs \(expected)")
                    }
                }
            }
        }
    }

    /// The multi-spike count floor(v / theta) without a library call: exact for every non-negative Float.
    @Test func floorOfPositiveIsFloor() {
        var values: [Float] = [0, 0.25, 0.5, 0.75, 1, 1.5, 2.5, 3.5, 0x1p22 + 0.5, 0x1p23 - 0.5, 0x1p23, 0x1p23 + 2, 1e30,
                               .infinity, .leastNonzeroMagnitude]
        values += (1...2000).flatMap { k -> [Float] in
            let x = Float(k) * 0.37
            return [x, x.nextDown, x.nextUp, Float(k).nextDown, Float(k)]
        }
        for q in values {
            #expect(GraphWorkspace.floorOfPositive(q) == q.rounded(.down), "\(q)")
        }
    }
}
