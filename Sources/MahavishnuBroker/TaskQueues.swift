import DequeModule

/// Tasks with nowhere to go yet: one shared FIFO for selector tasks; affinity tasks wait in their
/// pool's own queue (`PoolEntry.affinityQueue`). Their sum is bounded by `bound`.
struct TaskQueues {
    /// The most tasks that may wait at once, shared and affinity together.
    let bound: Int
    /// Selector tasks waiting for any pool's free slot.
    var shared: Deque<PendingTask> = []
    /// Tasks waiting now, shared and affinity together.
    private(set) var depth = 0

    init(bound: Int) { self.bound = bound }

    var isFull: Bool { depth >= bound }

    mutating func noteEnqueued() { depth += 1 }
    mutating func noteDequeued() { depth -= 1 }
}
