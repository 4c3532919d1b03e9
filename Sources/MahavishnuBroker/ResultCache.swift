import DequeModule
import ZeroMQ

/// The most recent results, by task id, so a producer that retries a finished task gets its
/// result again instead of running the task twice. The oldest entries go first once `capacity`
/// entries or `byteCapacity` bytes are reached; a result larger than `byteCapacity` is not kept.
struct ResultCache {
    struct Entry {
        let attempts: Int
        let body: Payload
    }

    let capacity: Int
    let byteCapacity: Int
    /// Bytes of the bodies kept now.
    private(set) var bytes = 0
    private var entries: ByteKeyedDictionary<Entry> = [:]
    private var order: Deque<[UInt8]> = []

    init(capacity: Int, byteCapacity: Int) {
        self.capacity = capacity
        self.byteCapacity = byteCapacity
    }

    /// Results kept now.
    var count: Int { entries.count }

    subscript(taskID: [UInt8]) -> Entry? { entries[taskID] }

    /// Calls `body` with every kept result, oldest first.
    func forEachOldestFirst(_ body: ([UInt8], Entry) -> Void) {
        for taskID in order { if let entry = entries[taskID] { body(taskID, entry) } }
    }

    mutating func insert(_ taskID: [UInt8], attempts: Int, body: Payload) {
        guard capacity > 0, body.count <= byteCapacity else { return }
        if let replaced = entries.updateValue(Entry(attempts: attempts, body: body), forKey: taskID) {
            bytes -= replaced.body.count
        } else {
            order.append(taskID)
        }
        bytes += body.count
        while order.count > capacity || bytes > byteCapacity, let oldest = order.popFirst() {
            bytes -= entries.removeValue(forKey: oldest)?.body.count ?? 0
        }
    }
}
