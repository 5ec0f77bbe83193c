import Dispatch
import SNNSupport
import Testing

/// The slot array under the contract it documents: each index written by one concurrent work item, every value read
/// back in index order afterwards.
@Suite struct SlotArrayTests {
    struct Failure: Error, Equatable { let index: Int }

    @Test func concurrentWritesLandInTheirOwnSlots() {
        let count = 10_000
        let slots = SlotArray<Int>(count: count)
        DispatchQueue.concurrentPerform(iterations: count) { i in slots.set(i, i &* 7_919 &+ 1) }
        #expect(slots.values() == (0..<count).map { $0 &* 7_919 &+ 1 })
    }

    /// Every write reports a different number of filled slots, 1 to count: the counts a progress report shows.
    @Test func eachWriteReportsTheFilledCount() {
        let count = 2_000
        let slots = SlotArray<String>(count: count), reported = SlotArray<Int>(count: count)
        DispatchQueue.concurrentPerform(iterations: count) { i in reported.set(i, slots.set(i, "item \(i)")) }
        #expect(reported.values().sorted() == Array(1...count))
        #expect(slots.values() == (0..<count).map { "item \($0)" })
    }

    /// A stored nil is a value, kept apart from an unwritten slot.
    @Test func optionalValuesComeBackAsWritten() {
        let slots = SlotArray<Int?>(count: 3)
        slots.set(0, nil)
        slots.set(1, 5)
        slots.set(2, nil)
        #expect(slots.values() == [nil, 5, nil])
    }

    @Test func successesAreTheValuesInIndexOrder() throws {
        let slots = SlotArray<Result<Double, any Error>>(count: 500)
        DispatchQueue.concurrentPerform(iterations: 500) { i in slots.set(i, .success(Double(i) / 4)) }
        #expect(try slots.successes() == (0..<500).map { Double($0) / 4 })
    }

    /// Several items fail, finishing in any order: the failure of the lowest index is the one rethrown.
    @Test func successesRethrowTheFailureOfTheLowestIndex() {
        let slots = SlotArray<Result<Int, any Error>>(count: 400)
        DispatchQueue.concurrentPerform(iterations: 400) { i in
            slots.set(i, i % 97 == 41 ? .failure(Failure(index: i)) : .success(i))
        }
        #expect(throws: Failure(index: 41)) { try slots.successes() }
    }
}
