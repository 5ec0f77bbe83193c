import CKernels

extension BackwardWorkspace {
    /// D(c, c') = delta_l[c] . delta_l[c'] for c' <= c (and the rest of each 32 x 32 block on the diagonal), as
    /// `deltaGram` = 2^k_c 2^k_c' D(c, c'): each column scaled by the power of two 2^k_c that brings its largest
    /// magnitude into [1, 2) (`deltaScales` keeps 2^-k_c), copied into `scaledDeltas` and into panels of 32 columns,
    /// then per panel p the product of the panel with the columns c >= 32 p by `snn_panel_product` (each entry a
    /// Float32 sum over i in increasing order, every product fused with its addition, the same bits on every CPU and
    /// thread count). Scaling by powers of two changes no rounding, so the result is 2^k_c 2^k_c' times what the
    /// unscaled columns give, exactly; it keeps the products of small deltas (columns of 1e-20 occur where a gradient
    /// has vanished) out of the subnormal range, where the CPU computes a hundred times slower and loses digits.
    /// n_l (B T)^2 / 2 multiply-adds.
    func deltaGram(layer l: Int) {
        let width = widths[l], columns = self.columns, panels = (columns + 31) / 32
        parallelFor(panels, threads: threads) { p in
            let first = 32 * p
            snn_scaled_panel(self.current + first * width, width, min(32, columns - first), width,
                             self.scaledDeltas + first * width, self.deltaPanels + p * 32 * width,
                             self.deltaScales + first)
        }
        parallelFor(panels, threads: threads) { p in
            let first = 32 * p
            snn_panel_product(self.deltaPanels + p * 32 * width, width, self.scaledDeltas + first * width, width,
                              self.deltaGram + first * columns + first, columns, min(32, columns - first),
                              columns - first)
        }
    }

    /// A(c, c') = a[c] . a[c'] for c' <= c into `inputGram` and sum_j a_j[c] into `inputColumnSums`, a the layer's
    /// input: for spikes, counts of common spikes from the columns as bits (`snn_threshold_bits`,
    /// `snn_bit_overlaps`), exact; for an analog input held over the steps, the B x B dot products of its columns in
    /// Double (exact products, eight interleaved partial sums).
    func inputOverlaps(layer l: Int) {
        let fanIn = widths[l - 1], columns = self.columns, steps = self.steps, words = (fanIn + 63) / 64
        if l == 1 && configuration.simulation.input.heldOverSteps {
            let batch = self.batch
            parallelFor(batch, threads: threads) { b in
                let x = UnsafePointer(self.input) + b * fanIn
                for b2 in 0...b {
                    let y = UnsafePointer(self.input) + b2 * fanIn
                    var s = SIMD8<Double>()
                    var j = 0
                    while j + 8 <= fanIn {
                        s += SIMD8<Double>(UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Float>.self))
                            * SIMD8<Double>(UnsafeRawPointer(y + j).loadUnaligned(as: SIMD8<Float>.self))
                        j += 8
                    }
                    var tail = 0.0
                    while j < fanIn {
                        tail += Double(x[j]) * Double(y[j])
                        j += 1
                    }
                    let dot = s.sum() + tail
                    for t in 0..<steps {
                        let row = self.inputGram + (b * steps + t) * columns + b2 * steps
                        for t2 in 0..<steps { row[t2] = dot }
                    }
                }
                var sum = 0.0
                for j in 0..<fanIn { sum += Double(x[j]) }
                for t in 0..<steps { self.inputColumnSums[b * steps + t] = sum }
            }
            return
        }
        nonisolated(unsafe) let source = UnsafePointer(l == 1 ? input : potentials + potentialOffsets[l - 2])
        let spikeThreshold: Float = l == 1 ? 0 : threshold
        parallelFor((columns + 63) / 64, threads: threads) { k in
            for c in k * 64..<min(columns, (k + 1) * 64) {
                snn_threshold_bits(source + c * fanIn, fanIn, spikeThreshold, self.spikeBits + c * words)
            }
        }
        let rowsPerItem = 16
        parallelFor((columns + rowsPerItem - 1) / rowsPerItem, threads: threads) { k in
            let first = k * rowsPerItem
            snn_bit_overlaps(self.spikeBits, words, first, min(rowsPerItem, columns - first), self.inputGram, columns)
        }
        for c in 0..<columns { inputColumnSums[c] = inputGram[c * columns + c] }
    }

    /// The unbiased variances of the entries of the per-item weight gradients G^b = sum_t delta_l[b, t] a[b, t]^T
    /// (n_l n_{l-1} B entries) and of their sum over the batch G = sum_b G^b (n_l n_{l-1} entries), without forming
    /// either: sum_ij G_ij^2 = sum_{c, c'} D(c, c') A(c, c') over all column pairs, sum_b sum_ij (G^b_ij)^2 the same
    /// over pairs of one item, and sum_ij G_ij = sum_b sum_ij G^b_ij = sum_c (sum_i delta_i[c]) (sum_j a_j[c]). Each
    /// row c of the lower triangle is summed in Double in increasing c' (D(c, c') A(c, c'), D converted exactly and
    /// its columns' power-of-two scales undone exactly), in three parts (the diagonal; c' in earlier items; c' in c's
    /// item), and the rows are added in increasing c, so the result does not depend on the thread count. D carries
    /// Float32 rounding (2^-24 relative per term, typically sqrt(n_l) 2^-24 of sum_i |delta_i[c] delta_i[c']| per
    /// entry), far below the statistics' sampling error.
    func gramVariances(layer l: Int) -> (item: Double, batch: Double) {
        let width = widths[l], fanIn = widths[l - 1], columns = self.columns, steps = self.steps
        let tiles = (width + Simulator.rowsPerTile - 1) / Simulator.rowsPerTile
        for c in 0..<columns {
            var sum = 0.0
            for tile in 0..<tiles { sum += tileSums[tile * columns + c] }
            deltaColumnSums[c] = sum
        }
        let rowsPerItem = 32
        parallelFor((columns + rowsPerItem - 1) / rowsPerItem, threads: threads) { k in
            for c in k * rowsPerItem..<min(columns, (k + 1) * rowsPerItem) {
                let d = UnsafePointer(self.deltaGram) + c * columns, a = UnsafePointer(self.inputGram) + c * columns
                let scales = UnsafePointer(self.deltaScales)
                @inline(__always) func term(_ k: Int) -> Double { Double(d[k]) * scales[k] * a[k] }
                @inline(__always) func part(_ range: Range<Int>) -> Double {
                    var s = SIMD4<Double>()
                    var k = range.lowerBound
                    while k + 4 <= range.upperBound {
                        s += SIMD4<Double>(term(k), term(k + 1), term(k + 2), term(k + 3))
                        k += 4
                    }
                    var tail = 0.0
                    while k < range.upperBound {
                        tail += term(k)
                        k += 1
                    }
                    return s.sum() + tail
                }
                let item = c - c % steps
                self.rowParts[3 * c] = term(c) * scales[c]
                self.rowParts[3 * c + 1] = part(0..<item) * scales[c]
                self.rowParts[3 * c + 2] = part(item..<c) * scales[c]
            }
        }
        var sum = 0.0, itemSquares = 0.0, batchSquares = 0.0
        for c in 0..<columns {
            sum += deltaColumnSums[c] * inputColumnSums[c]
            let within = rowParts[3 * c] + 2 * rowParts[3 * c + 2]
            itemSquares += within
            batchSquares += within + 2 * rowParts[3 * c + 1]
        }
        let entries = Double(width * fanIn)
        return (Self.unbiasedVariance(sum: sum, squares: itemSquares, count: entries * Double(batch)),
                Self.unbiasedVariance(sum: sum, squares: batchSquares, count: entries))
    }
}
