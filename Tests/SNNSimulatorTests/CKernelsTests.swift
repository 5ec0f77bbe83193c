import CKernels
import SNNSimulator
import Testing

/// The backward pass's C kernels (AVX2 where the CPU has it) against their scalar definitions: the same bits, so the
/// backward pass does not depend on the CPU.
@Suite struct CKernelsTests {
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

    /// Lists of random columns (some empty), spike and analog values, row counts across the 64-, 8- and 1-row paths.
    @Test(arguments: [(1, false), (8, true), (70, false), (128, true), (13, true)])
    func listSumsGiveTheDefinitionsBits(rows: Int, analog: Bool) {
        var rng = Xoshiro256StarStar(seed: UInt64(rows))
        let columns = 40, fanIn = 9, stride = rows + 5
        var delta = [Float](repeating: 0, count: stride * columns)
        delta.withUnsafeMutableBufferPointer { rng.fillNormal($0.baseAddress!, count: stride * columns, scale: 1) }
        var starts = [0], lists: [UInt32] = [], values: [Float] = []
        for _ in 0..<fanIn {
            for c in 0..<columns where rng.nextUnitDouble() < 0.3 {
                lists.append(UInt32(c))
                values.append(analog ? Float(rng.nextUnitDouble()) - 0.5 : 1)
            }
            starts.append(lists.count)
        }
        var fast = (sums: [Double](repeating: 0, count: 8), squares: [Double](repeating: 0, count: 8),
                    store: [Float](repeating: .nan, count: rows * fanIn))
        var definition = fast
        snn_list_sums(delta, stride, rows, starts, lists, analog ? values : nil, fanIn, &fast.sums, &fast.squares,
                      &fast.store, fanIn)
        snn_list_sums_definition(delta, stride, rows, starts, lists, analog ? values : nil, fanIn, &definition.sums,
                                 &definition.squares, &definition.store, fanIn)
        #expect(fast.sums.map(\.bitPattern) == definition.sums.map(\.bitPattern))
        #expect(fast.squares.map(\.bitPattern) == definition.squares.map(\.bitPattern))
        #expect(fast.store.map(\.bitPattern) == definition.store.map(\.bitPattern))
        for j in 0..<fanIn {
            for i in 0..<rows {
                let exact = (starts[j]..<starts[j + 1]).reduce(0.0) {
                    $0 + Double(delta[Int(lists[$1]) * stride + i]) * Double(values[$1])
                }
                #expect(abs(Double(fast.store[i * fanIn + j]) - exact) <= 1e-5 * max(1, abs(exact)))
            }
        }
    }

    /// The input lists (AVX-512 where the CPU has it) against the scalar definitions and against lists built here
    /// from the flags: the same indices in the same order, the same counts; spike probabilities from all-off to all-on,
    /// lengths around the 16-flag step.
    @Test(arguments: [(1, 0.5), (15, 0.2), (16, 0.9), (17, 0.0), (33, 1.0), (1000, 0.2), (1001, 0.5)])
    func inputListsGiveTheDefinitionsLists(count: Int, p: Double) {
        var rng = Xoshiro256StarStar(seed: UInt64(count))
        let now = (0..<count).map { _ in rng.nextUnitDouble() < p ? Float(1) : 0 }
        let before = (0..<count).map { _ in rng.nextUnitDouble() < p ? Float(1) : 0 }
        let spikes = (0..<count).filter { now[$0] != 0 }.map(UInt32.init)
        let up = (0..<count).filter { now[$0] != 0 && before[$0] == 0 }.map(UInt32.init)
        let down = (0..<count).filter { now[$0] == 0 && before[$0] != 0 }.map(UInt32.init)

        var list = [UInt32](repeating: .max, count: count + 1), definition = list
        let n = snn_list_spikes(now, count, &list)
        let nDefinition = snn_list_spikes_definition(now, count, &definition)
        #expect(Array(list[..<n]) == spikes && Array(definition[..<nDefinition]) == spikes)

        var on = [UInt32](repeating: .max, count: count + 1), off = on, onDefinition = on, offDefinition = on
        var nOn = 0, nOff = 0, nOnDefinition = 0, nOffDefinition = 0
        let spiking = snn_list_changes(now, before, count, &on, &off, &nOn, &nOff)
        let spikingDefinition = snn_list_changes_definition(now, before, count, &onDefinition, &offDefinition,
                                                            &nOnDefinition, &nOffDefinition)
        #expect(spiking == spikes.count && spikingDefinition == spikes.count)
        #expect(Array(on[..<nOn]) == up && Array(onDefinition[..<nOnDefinition]) == up)
        #expect(Array(off[..<nOff]) == down && Array(offDefinition[..<nOffDefinition]) == down)
    }
}
