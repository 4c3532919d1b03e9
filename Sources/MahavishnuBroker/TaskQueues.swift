import DequeModule

/// Tasks with nowhere to go yet: one shared FIFO for selector tasks; affinity tasks wait in their
/// pool's own queue (`PoolEntry.affinityQueue`). Their sum is bounded by `bound`.
///
/// Every waiting task id is also indexed here with its latest sender, so a producer that sends a
/// waiting task again is re-addressed instead of queued twice.
struct TaskQueues {
    /// The most tasks that may wait at once, shared and affinity together.
    let bound: Int
    /// Selector tasks waiting for any pool's free slot.
    var shared: Deque<PendingTask> = []
    /// The latest sender of each waiting task, by task id.
    private var senders: ByteKeyedDictionary<ReplyAddress> = [:]

    init(bound: Int) { self.bound = bound }

    /// Tasks waiting now, shared and affinity together.
    var depth: Int { senders.count }

    var isFull: Bool { depth >= bound }

    /// Whether `taskID` is waiting in a queue.
    func isWaiting(_ taskID: [UInt8]) -> Bool { senders[taskID] != nil }

    /// Whether `taskID` is waiting; if so, its result will go to `address`.
    mutating func redirect(_ taskID: [UInt8], to address: ReplyAddress) -> Bool {
        guard senders[taskID] != nil else { return false }
        senders[taskID] = address
        return true
    }

    /// Call when `task` joins a queue.
    mutating func noteEnqueued(_ task: PendingTask) {
        senders[task.taskID] = task.replyTo
    }

    /// Call when `task` leaves a queue; it takes on its latest sender.
    mutating func noteDequeued(_ task: inout PendingTask) {
        task.replyTo = senders.removeValue(forKey: task.taskID) ?? task.replyTo
    }
}
