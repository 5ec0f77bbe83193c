import CKernels

extension BackwardWorkspace {
    /// The input of layer l as n_{l-1} x B T values (the spikes s_{l-1} = [u_{l-1} > theta], or the input, an analog
    /// one repeated over the steps), and per input j the increasing list of columns where it is nonzero: counted, then
    /// filled, each in blocks of 64 inputs in parallel.
    func buildActivity(layer l: Int) {
        let fanIn = widths[l - 1], columns = self.columns, steps = self.steps, theta = threshold
        let analog = configuration.simulation.input.heldOverSteps
        let offset = l == 1 ? 0 : potentialOffsets[l - 2]
        let block = 64, blocks = (fanIn + block - 1) / block
        parallelFor((columns + 63) / 64, threads: threads) { item in
            for c in item * 64..<min(columns, (item + 1) * 64) {
                let a = self.activity + c * fanIn
                if l == 1 {
                    a.update(from: self.input + (analog ? c / steps : c) * fanIn, count: fanIn)
                    continue
                }
                let u = UnsafeRawPointer(self.potentials + offset + c * fanIn)
                var j = 0
                while j + 4 <= fanIn {
                    let v = u.loadUnaligned(fromByteOffset: 4 * j, as: SIMD4<Float>.self)
                    UnsafeMutableRawPointer(a + j).storeBytes(
                        of: SIMD4<Float>(repeating: 0).replacing(with: 1, where: v .> theta), as: SIMD4<Float>.self)
                    j += 4
                }
                while j < fanIn {
                    a[j] = u.load(fromByteOffset: 4 * j, as: Float.self) > theta ? 1 : 0
                    j += 1
                }
            }
        }
        /// Bit m set where input first + m is nonzero in column c, for a block of up to 64 inputs.
        @Sendable @inline(__always) func nonzero(_ c: Int, _ inputs: Range<Int>) -> UInt64 {
            let a = self.activity + c * fanIn
            var mask: UInt64 = 0
            for j in inputs { mask |= UInt64(a[j] != 0 ? 1 : 0) << UInt64(j - inputs.lowerBound) }
            return mask
        }
        listStarts[0] = 0
        parallelFor(blocks, threads: threads) { k in
            let inputs = k * block..<min(fanIn, (k + 1) * block)
            let counts = self.listStarts + 1
            for j in inputs { counts[j] = 0 }
            for c in 0..<columns {
                var mask = nonzero(c, inputs)
                while mask != 0 {
                    counts[inputs.lowerBound + mask.trailingZeroBitCount] += 1
                    mask &= mask - 1
                }
            }
        }
        for j in 0..<fanIn { listStarts[j + 1] += listStarts[j] }
        parallelFor(blocks, threads: threads) { k in
            let inputs = k * block..<min(fanIn, (k + 1) * block)
            withUnsafeTemporaryAllocation(of: Int.self, capacity: block) { fill in
                for j in inputs { fill[j - inputs.lowerBound] = self.listStarts[j] }
                for c in 0..<columns {
                    let a = self.activity + c * fanIn
                    var mask = nonzero(c, inputs)
                    while mask != 0 {
                        let m = mask.trailingZeroBitCount
                        let slot = fill[m]
                        self.listColumns[slot] = UInt32(c)
                        self.listValues[slot] = a[inputs.lowerBound + m]
                        fill[m] = slot + 1
                        mask &= mask - 1
                    }
                }
            }
        }
    }

    /// The unbiased variance of the n_l n_{l-1} B entries of the per-item gradients G^b = sum_t delta_l[b, t]
    /// a[b, t]^T (a the layer's input), without forming them: sum_ij (G^b_ij)^2 = sum_{t, t'} D^b(t, t') A^b(t, t')
    /// with D^b(t, t') = delta[b, t] . delta[b, t'] and A^b(t, t') = a[b, t] . a[b, t'], and sum_ij G^b_ij =
    /// sum_t (sum_i delta_i[b, t]) (sum_j a_j[b, t]), in Double from the Float32 values (exact products): B T^2
    /// (n_l + n_{l-1}) / 2 multiply-adds.
    func itemGradientVariance(layer l: Int) -> Double {
        let width = widths[l], fanIn = widths[l - 1], steps = self.steps
        /// x . y in Double, in eight interleaved partial sums (element i into sum i mod 8), added in a fixed order.
        @Sendable @inline(__always) func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Double {
            var s0 = SIMD4<Double>(), s1 = SIMD4<Double>()
            var i = 0
            while i + 8 <= n {
                let x0 = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
                let y0 = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
                s0 += SIMD4<Double>(x0.lowHalf) * SIMD4<Double>(y0.lowHalf)
                s1 += SIMD4<Double>(x0.highHalf) * SIMD4<Double>(y0.highHalf)
                i += 8
            }
            var tail = 0.0
            while i < n {
                tail += Double(x[i]) * Double(y[i])
                i += 1
            }
            return (s0 + s1).sum() + tail
        }
        /// For spikes, x . y in Float32: counts, exact below 2^24.
        @Sendable @inline(__always) func count(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Double {
            var s = SIMD8<Float>()
            var i = 0
            while i + 8 <= n {
                s += UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
                    * UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
                i += 8
            }
            var tail: Float = 0
            while i < n {
                tail += x[i] * y[i]
                i += 1
            }
            return Double(s.sum() + tail)
        }
        let binary = !(l == 1 && configuration.simulation.input.heldOverSteps)
        parallelFor(batch, threads: threads) { b in
            let delta = UnsafePointer(self.current), a = UnsafePointer(self.activity)
            var sum = 0.0, squares = 0.0
            for t in 0..<steps {
                let c = b * steps + t
                var deltaSum = 0.0, activitySum = 0.0
                for i in 0..<width { deltaSum += Double(delta[c * width + i]) }
                for j in 0..<fanIn { activitySum += Double(a[c * fanIn + j]) }
                sum += deltaSum * activitySum
                for t2 in t..<steps {
                    let c2 = b * steps + t2
                    let overlap = binary ? count(a + c * fanIn, a + c2 * fanIn, fanIn) : dot(a + c * fanIn, a + c2 * fanIn, fanIn)
                    let product = dot(delta + c * width, delta + c2 * width, width) * overlap
                    squares += t2 == t ? product : 2 * product
                }
            }
            self.itemSums[b] = sum
            self.itemSquares[b] = squares
        }
        var sum = 0.0, squares = 0.0
        for b in 0..<batch {
            sum += itemSums[b]
            squares += itemSquares[b]
        }
        return Self.unbiasedVariance(sum: sum, squares: squares, count: Double(width * fanIn * batch))
    }

    /// The unbiased variance of the n_l n_{l-1} entries of G = sum_c delta_l[c] a[c]^T, the gradient summed over the
    /// batch: each G_ij a Float32 sum over the columns c where input j is nonzero, in increasing c (for spikes, a = 1,
    /// a plain sum of deltas), then its sum and sum of squares in Double, per tile of neurons in eight buckets
    /// (`snn_list_sums`), merged in bucket, then tile order.
    /// With `keep`, G row-major.
    func batchGradientVariance(layer l: Int, keep: inout [Float]?) -> Double {
        let width = widths[l], fanIn = widths[l - 1]
        let tiles = (width + Simulator.rowsPerTile - 1) / Simulator.rowsPerTile
        if keep != nil {
            var kept = [Float](repeating: 0, count: width * fanIn)
            kept.withUnsafeMutableBufferPointer { gradientTiles(layer: l, store: $0.baseAddress) }
            keep = kept
        } else {
            gradientTiles(layer: l, store: nil)
        }
        var sum = 0.0, squares = 0.0
        for tile in 0..<tiles {
            sum += gradientSums[tile]
            squares += gradientSquares[tile]
        }
        return Self.unbiasedVariance(sum: sum, squares: squares, count: Double(width * fanIn))
    }

    /// Per tile of neurons, the sum and sum of squares of its rows of G (`batchGradientVariance`), by `snn_list_sums`.
    func gradientTiles(layer l: Int, store: UnsafeMutablePointer<Float>?) {
        let width = widths[l], fanIn = widths[l - 1]
        let binary = !(l == 1 && configuration.simulation.input.heldOverSteps)
        let tiles = (width + Simulator.rowsPerTile - 1) / Simulator.rowsPerTile
        nonisolated(unsafe) let store = store
        parallelFor(tiles, threads: threads) { tile in
            let first = tile * Simulator.rowsPerTile, rows = min(width, first + Simulator.rowsPerTile) - first
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 16) { buckets in
                buckets.initialize(repeating: 0)
                let sums = buckets.baseAddress!, squares = sums + 8
                snn_list_sums(self.current + first, width, rows, self.listStarts, self.listColumns,
                              binary ? nil : self.listValues, fanIn, sums, squares, store.map { $0 + first * fanIn },
                              fanIn)
                self.gradientSums[tile] = (0..<8).reduce(0) { $0 + sums[$1] }
                self.gradientSquares[tile] = (0..<8).reduce(0) { $0 + squares[$1] }
            }
        }
    }
}
