import DequeModule
import ZeroMQ

/// The most recent results, by task id, so a producer that retries a finished task gets its
/// result again instead of running the task twice. Oldest entries go first once `capacity` is reached.
struct ResultCache {
    struct Entry {
        let attempts: Int
        let body: Payload
    }

    let capacity: Int
    private var entries: ByteKeyedDictionary<Entry> = [:]
    private var order: Deque<[UInt8]> = []

    init(capacity: Int) { self.capacity = capacity }

    subscript(taskID: [UInt8]) -> Entry? { entries[taskID] }

    mutating func insert(_ taskID: [UInt8], attempts: Int, body: Payload) {
        guard capacity > 0 else { return }
        if entries.updateValue(Entry(attempts: attempts, body: body), forKey: taskID) == nil {
            order.append(taskID)
        }
        if order.count > capacity { entries[order.removeFirst()] = nil }
    }
}
