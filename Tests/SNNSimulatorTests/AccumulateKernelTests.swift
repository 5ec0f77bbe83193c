import CKernels
import Testing

/// The forward pass's sparse panel sums (AVX-512, AVX2 or SSE2, whichever this CPU runs) against their one-lane
/// definition: the same bits, so the simulator's currents do not depend on the CPU's vector width.
@Suite struct AccumulateKernelTests {
    /// Uniform floats in [-1, 1) and list entries from a 64-bit LCG: nothing here depends on the simulator's generator.
    struct Draws {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 11
        }
        mutating func float() -> Float { Float(Double(next()) / Double(1 << 53) * 2 - 1) }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    /// 1 to 4 columns of lists of different lengths (some empty, some with only subtractions), with and without a
    /// previous column; values of mixed magnitudes so that the order of the additions shows in the last bits.
    @Test(arguments: [1, 2, 3, 4])
    func everyPathGivesTheDefinitionsBits(count: Int) {
        var draws = Draws(state: UInt64(17 * count))
        let fanIn = 300
        var panel = [Float](repeating: 0, count: 32 * fanIn)
        for i in panel.indices { panel[i] = draws.float() * (draws.below(4) == 0 ? 1000 : 1) }
        for trial in 0..<20 {
            var lists: [[UInt32]] = [], additions: [Int] = []
            var previous: [[Float]?] = []
            for c in 0..<count {
                let length = trial == 0 && c == 0 ? 0 : draws.below(fanIn + 1)
                lists.append((0..<length).map { _ in UInt32(draws.below(fanIn)) })
                additions.append(draws.below(length + 1))
                previous.append(draws.below(2) == 0 ? nil : (0..<32).map { _ in draws.float() * 50 })
            }
            var fast = [Float](repeating: .nan, count: 32 * count), definition = fast
            func run(_ out: inout [Float], _ kernel: (UnsafePointer<Float>, UnsafePointer<snn_panel_column>, Int) -> Void) {
                let listPointers = lists.map { list -> UnsafeMutablePointer<UInt32> in
                    let p = UnsafeMutablePointer<UInt32>.allocate(capacity: max(1, list.count))
                    p.initialize(from: list, count: list.count)
                    return p
                }
                let previousPointers = previous.map { values -> UnsafeMutablePointer<Float>? in
                    guard let values else { return nil }
                    let p = UnsafeMutablePointer<Float>.allocate(capacity: 32)
                    p.initialize(from: values, count: 32)
                    return p
                }
                defer {
                    listPointers.forEach { $0.deallocate() }
                    previousPointers.forEach { $0?.deallocate() }
                }
                out.withUnsafeMutableBufferPointer { output in
                    let columns = (0..<count).map { c in
                        snn_panel_column(list: listPointers[c], length: lists[c].count, additions: additions[c],
                                         output: output.baseAddress! + 32 * c,
                                         previous: previousPointers[c].map { UnsafePointer($0) })
                    }
                    panel.withUnsafeBufferPointer { kernel($0.baseAddress!, columns, count) }
                }
            }
            run(&fast) { snn_accumulate_panel($0, $1, $2) }
            run(&definition) { snn_accumulate_panel_definition($0, $1, $2) }
            #expect(fast.map(\.bitPattern) == definition.map(\.bitPattern), "trial \(trial)")
            // The definition itself: lane 5 of column 0 summed here in the same order.
            var lane: Float = previous[0]?[5] ?? 0
            for (e, m) in lists[0].enumerated() {
                lane = e < additions[0] ? lane + panel[32 * Int(m) + 5] : lane - panel[32 * Int(m) + 5]
            }
            #expect(definition[5].bitPattern == lane.bitPattern)
        }
    }
}
