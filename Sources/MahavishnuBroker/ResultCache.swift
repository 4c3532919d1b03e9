import DequeModule
import ZeroMQ

/// The most recent results, by task id, so a producer that retries a finished task gets its
/// result again instead of running the task twice. The oldest entries go first once `capacity`
/// entries or `byteCapacity` bytes are reached, or once they are older than the retention the
/// router loop applies (`removeFinished(before:)`); a result larger than `byteCapacity` is not kept.
struct ResultCache {
    struct Entry {
        let attempts: Int
        let body: Payload
        /// When the task finished, in milliseconds since 1970.
        let finishedAt: UInt64
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

    /// Every kept result, oldest first.
    var oldestFirst: some Sequence<(taskID: [UInt8], entry: Entry)> {
        order.lazy.compactMap { taskID in entries[taskID].map { (taskID, $0) } }
    }

    mutating func insert(_ taskID: [UInt8], attempts: Int, body: Payload, finishedAt: UInt64) {
        guard capacity > 0, body.count <= byteCapacity else { return }
        if let replaced = entries.updateValue(Entry(attempts: attempts, body: body, finishedAt: finishedAt), forKey: taskID) {
            bytes -= replaced.body.count
        } else {
            order.append(taskID)
        }
        bytes += body.count
        while order.count > capacity || bytes > byteCapacity, let oldest = order.popFirst() {
            bytes -= entries.removeValue(forKey: oldest)?.body.count ?? 0
        }
    }

    /// Removes the results of tasks that finished before `cutoff` (milliseconds since 1970).
    mutating func removeFinished(before cutoff: UInt64) {
        while let oldest = order.first, let entry = entries[oldest], entry.finishedAt < cutoff {
            order.removeFirst()
            bytes -= entries.removeValue(forKey: oldest)?.body.count ?? 0
        }
    }
}
