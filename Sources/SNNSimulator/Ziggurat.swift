import CKernels
import Foundation

/// Marsaglia and Tsang's ziggurat (2000) for the standard normal, 256 layers, in the 32-bit form NumPy uses for
/// `standard_normal(dtype=float32)`: from one 32-bit word, 8 bits choose the layer, 1 bit the sign and 23 bits the
/// abscissa. Unlike the original SHR3 version, the layer and the abscissa come from disjoint bits, which removes the
/// correlation Doornik (2005) found.
///
/// Exactness: the fast path (about 98.8% of draws) returns a point uniform in a rectangle lying under the density;
/// the rest are resolved by an exact rejection test on the wedge (in Double) or by Marsaglia's exact tail method
/// beyond r = 3.6541528853610088. The only approximation is the 23-bit resolution of the abscissa within a layer
/// (at most r / 2^23 = 4.4e-7), below Float32's own resolution for most draws.
enum Ziggurat {
    /// Right edge of the bottom rectangle; the area of each layer is v (with the unnormalized density exp(-x^2/2)).
    static let r = 3.6541528853610088
    static let v = 0.00492867323399

    /// The tables, allocated once and never freed, so the sampling loop reads them through plain pointers.
    final class Tables: @unchecked Sendable {
        /// k[i] = floor(2^23 x_{i-1} / x_i): abscissae below it lie under the curve in layer i (k[0] for the base strip).
        let k = UnsafeMutablePointer<Int32>.allocate(capacity: 256)
        /// w[i] = x_i / 2^23, the abscissa per unit of the 23-bit integer.
        let w = UnsafeMutablePointer<Float>.allocate(capacity: 256)
        /// f[i] = exp(-x_i^2 / 2), the density at the right edge of layer i (f[0] = 1 at the top).
        let f = UnsafeMutablePointer<Double>.allocate(capacity: 256)
        /// layers[i] = (bits of w[i]) << 32 | k[i]: one 64-bit load gives the vector fast path both.
        let layers = UnsafeMutablePointer<UInt64>.allocate(capacity: 256)

        /// The layer edges x_255 = r > x_254 > ... > x_1 > 0 solve x_{i-1} = f^-1(v / x_i + f(x_i)); layer 0 is the
        /// base strip of virtual width q = v / f(r) whose part beyond r stands for the tail.
        init() {
            let m = 0x1.0p23
            var dn = r
            var tn = r
            let q = v / exp(-0.5 * dn * dn)
            k[0] = Int32((dn / q) * m)
            k[1] = 0
            w[0] = Float(q / m)
            w[255] = Float(dn / m)
            f[0] = 1
            f[255] = exp(-0.5 * dn * dn)
            for i in stride(from: 254, through: 1, by: -1) {
                dn = (-2 * log(v / dn + exp(-0.5 * dn * dn))).squareRoot()
                k[i + 1] = Int32((dn / tn) * m)
                tn = dn
                f[i] = exp(-0.5 * dn * dn)
                w[i] = Float(dn / m)
            }
            for i in 0..<256 { layers[i] = UInt64(w[i].bitPattern) &<< 32 | UInt64(UInt32(k[i])) }
        }
    }

    static let tables = Tables()

    /// Slots per call of the lane kernel (a multiple of 16, so the lanes' steps continue across calls): bounds the
    /// misses it can record.
    static let chunk = 1024

    /// One standard normal from the 32-bit word `bits` (in a UInt64); `rng` supplies more words only on the slow path.
    @inline(__always)
    static func sample(_ bits: UInt64, k: UnsafePointer<Int32>, w: UnsafePointer<Float>, f: UnsafePointer<Double>,
                       rng: inout Xoshiro256StarStar) -> Float {
        var bits = bits
        while true {
            let layer = Int(truncatingIfNeeded: bits & 0xFF)
            let negative = bits & 0x100 != 0
            let abscissa = Int(truncatingIfNeeded: bits &>> 9)
            let x = Float(abscissa) * w[layer]
            if abscissa < Int(k[layer]) { return negative ? -x : x }
            if layer == 0 { return Float(negative ? -tail(&rng) : tail(&rng)) }
            if wedge(layer: layer, x: x, f: f, rng: &rng) { return negative ? -x : x }
            bits = rng.next() & 0xFFFF_FFFF
        }
    }

    /// The exact test for a point of layer i outside its inner rectangle: a height uniform between f(x_i) and
    /// f(x_{i-1}) below exp(-x^2/2).
    @inline(never)
    static func wedge(layer: Int, x: Float, f: UnsafePointer<Double>, rng: inout Xoshiro256StarStar) -> Bool {
        let y = f[layer] + rng.nextUnitDouble() * (f[layer - 1] - f[layer])
        return y < exp(-0.5 * Double(x) * Double(x))
    }

    /// Marsaglia's exact method for Z conditioned on Z > r: x = -ln(U1) / r, accepted when -2 ln(U2) > x^2.
    @inline(never)
    static func tail(_ rng: inout Xoshiro256StarStar) -> Double {
        while true {
            let x = -log(1 - rng.nextUnitDouble()) / r
            let y = -log(1 - rng.nextUnitDouble())
            if y + y > x * x { return r + x }
        }
    }
}

extension Xoshiro256StarStar {
    /// Writes `count` draws of N(0, scale^2) (standard normals times `scale`, in Float32) to `buffer`.
    ///
    /// Eight xoshiro256** lanes feed the ziggurat's fast path (`snn_normal_lanes`, vector kernels in CKernels): lane j
    /// is `Xoshiro256StarStar(seed: key + 4 j 0x9E3779B97F4A7C15)`, i.e. the lanes take consecutive SplitMix64 outputs
    /// from the key, one `next()` of this generator; each step of the lanes fills 16 slots, two per 64-bit output
    /// (low 32 bits first), lane 0 first. The slots that miss the fast path (about 1.2%) are then resolved in slot
    /// order by the exact slow path, which draws further words from this generator. So the draws depend on the
    /// stream alone: not on the vector width the CPU offers (the kernels give the scalar definition's bits), nor on
    /// threads. Draws nothing when `count` is 0.
    public mutating func fillNormal(_ buffer: UnsafeMutablePointer<Float>, count: Int, scale: Float) {
        guard count > 0 else { return }
        let tables = Ziggurat.tables
        let k = UnsafePointer(tables.k), w = UnsafePointer(tables.w), f = UnsafePointer(tables.f)
        let layers = UnsafePointer(tables.layers)
        let key = next()
        // Lanes and misses share one small stack allocation: nothing reaches the heap per call.
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 32 + Ziggurat.chunk) { space in
            let lanes = space.baseAddress!, missed = lanes + 32
            snn_normal_lanes_seed(key, lanes)
            var start = 0
            while start < count {
                let length = min(count - start, Ziggurat.chunk)
                let misses = snn_normal_lanes(lanes, buffer + start, length, scale, layers, missed)
                for m in 0..<misses {
                    let slot = start &+ Int(truncatingIfNeeded: missed[m] &>> 32)
                    buffer[slot] = Ziggurat.sample(missed[m] & 0xFFFF_FFFF, k: k, w: w, f: f, rng: &self) * scale
                }
                start &+= length
            }
        }
    }

    /// Writes `count` draws of Uniform(-halfWidth, halfWidth) to `buffer`: (j + 1/2) / 2^22 - 1 for j uniform in
    /// [0, 2^23), a grid symmetric about 0 (mean exactly 0, variance (1 - 4^-23) / 3), times `halfWidth`.
    /// Two draws per 64-bit output: the low 32 bits first.
    public mutating func fillUniform(_ buffer: UnsafeMutablePointer<Float>, count: Int, halfWidth: Float) {
        @inline(__always) func symmetric(_ bits: UInt64) -> Float {
            (Float(Int(truncatingIfNeeded: (bits &>> 9) & 0x7F_FFFF)) + 0.5) * 0x1.0p-22 - 1
        }
        var rng = self
        var i = 0
        while i &+ 1 < count {
            let word = rng.next()
            buffer[i] = symmetric(word) * halfWidth
            buffer[i &+ 1] = symmetric(word &>> 32) * halfWidth
            i &+= 2
        }
        if i < count { buffer[i] = symmetric(rng.next()) * halfWidth }
        self = rng
    }
}
