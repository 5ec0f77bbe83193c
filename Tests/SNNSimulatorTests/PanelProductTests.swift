import CKernels
import SNNSimulator
import Testing

/// `snn_panel_product` (AVX2 with FMA where the CPU has them) against its definition, one lane at a time with fmaf:
/// the same bits, so the backward pass does not depend on the CPU.
@Suite struct PanelProductTests {
    @Test(arguments: [(1, 1, 32), (5, 7, 32), (37, 4, 19), (128, 10, 1)])
    func vectorPathGivesTheDefinitionsBits(k: Int, columns: Int, rows: Int) {
        var rng = Xoshiro256StarStar(seed: UInt64(k * 1000 + columns))
        let panel = UnsafeMutableRawPointer.allocate(byteCount: 4 * 32 * k, alignment: 64)
            .bindMemory(to: Float.self, capacity: 32 * k)
        defer { panel.deallocate() }
        rng.fillNormal(panel, count: 32 * k, scale: 1)
        var input = [Float](repeating: 0, count: k * columns)
        input.withUnsafeMutableBufferPointer { rng.fillNormal($0.baseAddress!, count: k * columns, scale: 0.3) }
        let stride = rows + 3
        var fast = [Float](repeating: .nan, count: stride * columns), definition = fast
        snn_panel_product(panel, k, input, k, &fast, stride, rows, columns)
        snn_panel_product_definition(panel, k, input, k, &definition, stride, rows, columns)
        #expect(fast.map(\.bitPattern) == definition.map(\.bitPattern))
        for c in 0..<columns {
            for i in 0..<rows {
                let exact = (0..<k).reduce(0.0) { $0 + Double(panel[32 * $1 + i]) * Double(input[c * k + $1]) }
                #expect(abs(Double(fast[c * stride + i]) - exact) <= 1e-5 * max(1, abs(exact)))
            }
            #expect(fast[c * stride + rows].isNaN, "nothing written past the rows")
        }
    }
}
