import Foundation

/// A fixed number of slots written from concurrent work items, for results that must come back in index order
/// whatever order the items finish in.
///
/// `@unchecked Sendable` on a contract the type cannot check: each index is written by exactly one work item, and the
/// values are read (`values()`, `successes()`) only after every item has finished, e.g. after
/// `DispatchQueue.concurrentPerform` returns. The writes still take a lock: the slots share one array, whose storage
/// is not safe to mutate from several threads at once even at distinct indices.
public final class SlotArray<Value>: @unchecked Sendable {
    private var storage: [Value?]
    private var filled = 0
    private let lock = NSLock()

    public init(count: Int) { storage = Array(repeating: nil, count: count) }

    /// Stores the value of slot `index`; returns how many slots are filled, for progress reports.
    @discardableResult
    public func set(_ index: Int, _ value: Value) -> Int {
        lock.lock()
        defer { lock.unlock() }
        storage[index] = value
        filled += 1
        return filled
    }

    /// Every slot's value in index order; a slot never written is a broken contract and traps.
    public func values() -> [Value] {
        lock.lock()
        defer { lock.unlock() }
        return storage.map { $0! }
    }

    /// The successes of every slot in index order; the failure of the lowest failed index is rethrown.
    public func successes<Success>() throws -> [Success] where Value == Result<Success, any Error> {
        try values().map { try $0.get() }
    }
}
