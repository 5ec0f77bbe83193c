import SNNModel
import Testing

/// A network given layer by layer: fully connected layers, 2-d convolutions and flattens, with PyTorch's fan-in and
/// fan-out, and one line naming `widths` for what is refused.
@Suite struct LayerShapeTests {
    @Test func denseLayersTakeThePreviousWidthAsFanIn() throws {
        let layers = try LayerShape.parse("784,1000,10")
        #expect(layers == [LayerShape(kind: .linear, inputs: 784, outputs: 1000),
                           LayerShape(kind: .linear, inputs: 1000, outputs: 10)])
        #expect(layers.map(\.fanIn) == [784, 1000])
        #expect(layers.map(\.fanOut) == [1000, 10])
        #expect(layers.map(\.weightShape) == [[1000, 784], [10, 1000]])
    }

    /// A convolution's fan-in is C_in x KH x KW and its fan-out C_out x KH x KW; flatten:HxW turns C channels of
    /// H x W maps into C x H x W inputs of the next layer.
    @Test func convolutionFanInIsInputChannelsTimesKernel() throws {
        let layers = try LayerShape.parse("3,8:3x5,16:2,flatten:4x6,10")
        #expect(layers.map(\.kind) == [.conv2d(kernelHeight: 3, kernelWidth: 5), .conv2d(kernelHeight: 2, kernelWidth: 2),
                                       .linear])
        #expect(layers.map(\.fanIn) == [3 * 3 * 5, 8 * 2 * 2, 16 * 4 * 6])
        #expect(layers.map(\.fanOut) == [8 * 3 * 5, 16 * 2 * 2, 10])
        #expect(layers.map(\.outputs) == [8, 16, 10])
        #expect(layers.map(\.weightShape) == [[8, 3, 3, 5], [16, 8, 2, 2], [10, 16 * 4 * 6]])
        #expect(try LayerShape.parse("1,32:3,10:3x3,flatten:1x1,4") == LayerShape.parse("1,32:3x3,10:3x3,flatten:1x1,4"))
    }

    @Test func blanksAroundEntriesAreIgnored() throws {
        #expect(try LayerShape.parse(" 784 ,\t1000, 10 ") == LayerShape.parse("784,1000,10"))
    }

    @Test(arguments: ["784", "784,", "784,0,10", "784,abc", "3,64:3x3,10", "784,10,flatten:2x2,10",
                      "1,32:3x3,flatten:4x4", "1,32:3x3x3,flatten:1x1,10", "1,32:3x3,flatten:2x2,flatten:2x2,10",
                      "1,flatten:2x2,32:3x3,flatten:1x1,10", "100000,1000:100x100,flatten:1x1,10", "784,-5",
                      "784,100000001", "784,pool:2"])
    func malformedOrOversizedLayersAreRefusedNamingWidths(text: String) {
        do {
            _ = try LayerShape.parse(text)
            Issue.record("'\(text)' was accepted")
        } catch let ModelError.invalid(parameter, _, _) {
            #expect(parameter == "widths", "\(text)")
        } catch {
            Issue.record("'\(text)': \(error)")
        }
    }

    /// The rule sees layer 1 as [fan-in, fan-out] and every later layer as layer 2 of [n_0, fan-in, fan-out]: a
    /// rule that returns each layer's fan-in gives the layers' own fan-ins.
    @Test func perLayerRulesSeeEachLayersFanIn() throws {
        let layers = try LayerShape.parse("1,32:3x3,64:3x3,flatten:24x24,10")
        let fanIns = try LayerShape.perLayer(layers) { architecture in
            (1...architecture.depth).map { Double(architecture.fanIn(layer: $0)) }
        }
        #expect(fanIns == [9, 32 * 9, 64 * 24 * 24])
    }
}
