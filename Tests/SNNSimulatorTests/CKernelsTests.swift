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

    /// Spikes as bits: bit m of word w set exactly where x[64 w + m] > threshold, nothing past n; lengths on and off
    /// the 16- and 64-value boundaries.
    @Test(arguments: [1, 15, 16, 63, 64, 65, 130, 1000])
    func thresholdBitsMarkExactlyThePotentialsAboveThreshold(n: Int) {
        var rng = Xoshiro256StarStar(seed: UInt64(n))
        var x = [Float](repeating: 0, count: n)
        x.withUnsafeMutableBufferPointer { rng.fillNormal($0.baseAddress!, count: n, scale: 1) }
        x[0] = 1
        let words = (n + 63) / 64
        var bits = [UInt64](repeating: .max, count: words)
        snn_threshold_bits(x, n, 1, &bits)
        for j in 0..<64 * words {
            let set = bits[j / 64] >> UInt64(j % 64) & 1 == 1
            #expect(set == (j < n && x[j] > 1), "value \(j)")
        }
    }

    /// Overlaps of random bit columns (densities 0.05-0.5, word counts on and off the 8-word vector): the fast path's
    /// counts are the definition's and a count bit by bit; only the lower triangle of the rows asked for is written.
    @Test(arguments: [1, 7, 8, 9, 16, 17])
    func bitOverlapsCountCommonBits(words: Int) {
        var rng = Xoshiro256StarStar(seed: UInt64(100 + words))
        let columns = 23
        var bits = [UInt64](repeating: 0, count: columns * words)
        for c in 0..<columns {
            let density = 0.05 + 0.45 * Double(c) / Double(columns)
            for m in 0..<64 * words where rng.nextUnitDouble() < density {
                bits[c * words + m / 64] |= 1 << UInt64(m % 64)
            }
        }
        let ld = columns + 2
        var fast = [Double](repeating: -1, count: columns * ld), definition = fast
        snn_bit_overlaps(bits, words, 0, 10, &fast, ld)
        snn_bit_overlaps(bits, words, 10, columns - 10, &fast, ld)
        snn_bit_overlaps_definition(bits, words, 0, columns, &definition, ld)
        #expect(fast == definition)
        for c in 0..<columns {
            for d in 0..<ld {
                var count = 0
                for m in 0..<64 * words where bits[c * words + m / 64] & bits[d % columns * words + m / 64]
                    & (1 << UInt64(m % 64)) != 0 { count += 1 }
                #expect(fast[c * ld + d] == (d <= c ? Double(count) : -1), "(\(c), \(d))")
            }
        }
    }

    /// Scaled panels: each column times the power of two that brings its largest magnitude into [1, 2) (zeros left
    /// alone, a column of 1e-30 brought up, one of 1e16 brought down), the inverse kept, the panel holding the scaled
    /// values with zeros past the columns; and the Gram entries of scaled columns are the unscaled ones times both
    /// scales exactly, while the unscaled products of the 1e-30 column fall into the subnormal range.
    @Test(arguments: [(5, 37), (16, 16), (17, 100), (32, 1000)])
    func scaledPanelsScaleByPowersOfTwoExactly(count: Int, k: Int) {
        var rng = Xoshiro256StarStar(seed: UInt64(count * 1000 + k))
        let stride = k + 3
        var x = [Float](repeating: 0, count: stride * count)
        x.withUnsafeMutableBufferPointer { rng.fillNormal($0.baseAddress!, count: stride * count, scale: 0.01) }
        for i in 0..<k { x[i] *= 1e-28 }
        if count > 1 { for i in 0..<k { x[stride + i] = 0 } }
        if count > 2 { for i in 0..<k { x[2 * stride + i] *= 1e18 } }
        var scaled = [Float](repeating: .nan, count: stride * count), inverse = [Double](repeating: .nan, count: count)
        let panel = UnsafeMutableRawPointer.allocate(byteCount: 4 * 32 * k, alignment: 64)
            .bindMemory(to: Float.self, capacity: 32 * k)
        defer { panel.deallocate() }
        snn_scaled_panel(x, stride, count, k, &scaled, panel, &inverse)
        for lane in 0..<count {
            let column = x[(lane * stride)..<(lane * stride + k)]
            let largest = column.map(abs).max()!
            let power = largest == 0 ? 0 : 1 - (Int(largest.exponent) + 1)
            #expect(inverse[lane] == Double(sign: .plus, exponent: -power, significand: 1), "lane \(lane)")
            for i in 0..<k {
                let expected = x[lane * stride + i] * Float(sign: .plus, exponent: power, significand: 1)
                #expect(scaled[lane * stride + i] == expected)
                #expect(panel[32 * i + lane].bitPattern == expected.bitPattern)
            }
            let top = (lane * stride..<lane * stride + k).map { abs(scaled[$0]) }.max()!
            #expect(largest == 0 ? top == 0 : (1..<2).contains(top), "lane \(lane)")
        }
        for i in 0..<k { for lane in count..<32 { #expect(panel[32 * i + lane] == 0) } }
        var gram = [Float](repeating: 0, count: count * count)
        snn_panel_product(panel, k, scaled, stride, &gram, count, count, count)
        var plain = [Float](repeating: 0, count: count * count)
        for c in 0..<count {
            for d in 0..<count {
                var sum: Float = 0
                for i in 0..<k { sum = sum.addingProduct(x[c * stride + i], x[d * stride + i]) }
                plain[c * count + d] = sum
                let rescaled = Double(gram[c * count + d]) * inverse[c] * inverse[d]
                if c > 0 && d > 0 { #expect(rescaled == Double(sum), "(\(c), \(d))") }
            }
        }
        #expect(plain[0] == 0 || plain[0].isSubnormal, "the 1e-30 column's square underflows unscaled")
        #expect(gram[0].isNormal)
    }

    /// A panel of columns: entry i holds the columns' values at i, lane by lane, zeros past the columns given.
    @Test(arguments: [(1, 5), (16, 33), (17, 64), (32, 1000)])
    func transposedPanelHoldsTheColumnsLaneByLane(count: Int, k: Int) {
        let stride = k + 1
        let x = (0..<stride * count).map { Float($0) + 0.5 }
        let panel = UnsafeMutableRawPointer.allocate(byteCount: 4 * 32 * k, alignment: 64)
            .bindMemory(to: Float.self, capacity: 32 * k)
        defer { panel.deallocate() }
        panel.initialize(repeating: .nan, count: 32 * k)
        snn_transpose_panel(x, stride, count, k, panel)
        for i in 0..<k {
            for lane in 0..<32 { #expect(panel[32 * i + lane] == (lane < count ? x[lane * stride + i] : 0)) }
        }
    }

    /// Columns scaled for W^T delta, any number of them: each times the power of two that brings its largest magnitude
    /// into [1, 2), a subnormal column (largest 2^-139) by the largest scale, 2^126, into the normal range; the
    /// inverse kept; scaling back gives the column exactly.
    @Test func scaledColumnsComeBackExactly() {
        var rng = Xoshiro256StarStar(seed: 77)
        let k = 45, count = 40
        var x = [Float](repeating: 0, count: k * count)
        x.withUnsafeMutableBufferPointer { rng.fillNormal($0.baseAddress!, count: k * count, scale: 1) }
        for c in 0..<count {
            for i in 0..<k { x[c * k + i] *= Float(sign: .plus, exponent: 3 * c - 100, significand: 1) }
        }
        for i in 0..<k { x[i] = Float(sign: .plus, exponent: -140, significand: 1) * Float(i % 3) }
        var scaled = [Float](repeating: .nan, count: k * count), inverse = [Double](repeating: .nan, count: count)
        snn_scale_columns(x, k, count, k, &scaled, &inverse)
        for c in 0..<count {
            let column = scaled[(c * k)..<(c * k + k)]
            let top = column.map(abs).max()!
            #expect(c == 0 ? top == Float(sign: .plus, exponent: -13, significand: 1) : (1..<2).contains(top),
                    "column \(c)")
            for i in 0..<k { #expect(Double(scaled[c * k + i]) * inverse[c] == Double(x[c * k + i]), "(\(c), \(i))") }
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
