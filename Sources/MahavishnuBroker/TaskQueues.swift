import DequeModule
import MahavishnuCore

/// Tasks with nowhere to go yet: one shared FIFO for selector tasks; affinity tasks wait in their
/// pool's own queue (`PoolEntry.affinityQueue`). Together they hold at most `bound` tasks and
/// `byteBound` bytes of task bodies.
///
/// Every waiting task id is also indexed here with its latest sender, so a producer that sends a
/// waiting task again is re-addressed instead of queued twice.
struct TaskQueues {
    /// The most tasks that may wait at once, shared and affinity together.
    let bound: Int
    /// The most bytes of task bodies that may wait at once.
    let byteBound: Int
    /// Bytes of the bodies waiting now.
    private(set) var bytes = 0
    /// Selector tasks waiting for any pool's free slot.
    var shared: Deque<PendingTask> = []
    /// The latest sender of each waiting task, by task id.
    private var senders: ByteKeyedDictionary<ReplyAddress> = [:]

    init(bound: Int, byteBound: Int) {
        self.bound = bound
        self.byteBound = byteBound
    }

    /// Tasks waiting now, shared and affinity together.
    var depth: Int { senders.count }

    /// Whether `task` may join a queue without passing either bound.
    func admits(_ task: PendingTask) -> Bool {
        depth < bound && bytes + task.body.count <= byteBound
    }

    /// Why `task` was refused, naming the bound it would pass and its setting.
    func refusal(of task: PendingTask) -> String {
        let waiting = "\(depth) tasks, \(ByteSize.describe(bytes)) waiting"
        return depth >= bound
            ? "the broker queue is full (\(waiting); broker_queue_bound \(bound)); retry later or raise broker_queue_bound"
            : "the broker queue is full (\(waiting); this task's \(ByteSize.describe(task.body.count)) would pass broker_queue_bytes \(ByteSize.describe(byteBound))); retry later or raise broker_queue_bytes"
    }

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
        if senders.updateValue(task.replyTo, forKey: task.taskID) == nil { bytes += task.body.count }
    }

    /// Call when `task` leaves a queue; it takes on its latest sender.
    mutating func noteDequeued(_ task: inout PendingTask) {
        guard let sender = senders.removeValue(forKey: task.taskID) else { return }
        task.replyTo = sender
        bytes -= task.body.count
    }
}
