import HeapModule
import MahavishnuCore

/// Tasks with nowhere to go yet: selector tasks in one shared `WaitingQueue`, affinity tasks in
/// their pool's own (`PoolEntry.affinityQueue`), delayed tasks until their time (`delayed`).
/// Together they hold at most `bound` tasks and `byteBound` bytes of task bodies.
///
/// Every waiting task id is also indexed here with its latest sender, so a producer that sends a
/// waiting task again is re-addressed instead of queued twice. A task that ends while it waits
/// (cancelled, expired) is marked ended in the index and stays where it is until it is dequeued
/// and skipped: nothing scans a queue for it, and its bytes count until they are freed.
struct TaskQueues {
    /// The most tasks that may wait at once, shared and affinity together.
    let bound: Int
    /// The most bytes of task bodies that may wait at once.
    let byteBound: Int
    /// Bytes of the bodies waiting now.
    private(set) var bytes = 0
    /// Selector tasks waiting for any pool's free slot.
    var shared = WaitingQueue()
    /// Tasks whose `eta` has not come, soonest first.
    private(set) var delayed = Heap<TimedTask>()
    /// The deadlines of waiting tasks, soonest first; a deadline whose task has left is skipped.
    /// Ids only: a task that was dispatched leaves no body behind here.
    private var deadlines = Heap<Deadline>()
    /// Each waiting task's latest sender, and whether it has ended, by task id.
    private var index: ByteKeyedDictionary<Waiting> = [:]

    private struct Waiting {
        var sender: ReplyAddress
        let attempts: Int
        /// Held in `delayed` rather than in a queue.
        var isDelayed = false
        var ended = false
    }

    private struct Deadline: Comparable {
        let due: UInt64
        let sequence: UInt64
        let taskID: [UInt8]

        static func < (lhs: Deadline, rhs: Deadline) -> Bool { (lhs.due, lhs.sequence) < (rhs.due, rhs.sequence) }
    }

    init(bound: Int, byteBound: Int) {
        self.bound = bound
        self.byteBound = byteBound
    }

    /// Deadlines held, those of tasks that have left included: at most about twice the waiting tasks.
    var deadlineCount: Int { deadlines.count }

    /// Tasks waiting now (delayed and ended ones included: they hold their bytes).
    var depth: Int { index.count }

    /// Tasks waiting to be dispatched (delayed ones not included), per priority, 0 first: the
    /// shared queue's and those of `affinity`, the pools' queues.
    func waitingByPriority(plus affinity: [WaitingQueue]) -> [Int] {
        var counts = shared.countByPriority
        for queue in affinity {
            for (priority, count) in queue.countByPriority.enumerated() { counts[priority] += count }
        }
        return counts
    }

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

    /// Whether `taskID` is waiting (and has not ended).
    func isWaiting(_ taskID: [UInt8]) -> Bool { index[taskID].map { !$0.ended } ?? false }

    /// Whether `taskID` is waiting; if so, its result will go to `address`.
    mutating func redirect(_ taskID: [UInt8], to address: ReplyAddress) -> Bool {
        guard isWaiting(taskID) else { return false }
        index[taskID]!.sender = address
        return true
    }

    /// Call when `task` joins a queue (or `delay`).
    mutating func noteEnqueued(_ task: PendingTask) {
        if index.updateValue(Waiting(sender: task.replyTo, attempts: task.attempts), forKey: task.taskID) == nil { bytes += task.body.count }
        if let deadline = task.schedule.deadline {
            deadlines.insert(Deadline(due: deadline, sequence: task.sequence, taskID: task.taskID))
            // The deadlines of tasks that left (dispatched) wait here for their time; keep them
            // to at most about as many as wait, so a far deadline costs no memory for long.
            if deadlines.count > 2 * index.count + 1_024 { deadlines = Heap(deadlines.unordered.filter { isWaiting($0.taskID) }) }
        }
    }

    /// Call when `task` leaves a queue; it takes on its latest sender. `false` if it had ended
    /// while it waited: it is dropped.
    mutating func noteDequeued(_ task: inout PendingTask) -> Bool {
        guard let waiting = index.removeValue(forKey: task.taskID) else { return false }
        bytes -= task.body.count
        task.replyTo = waiting.sender
        return !waiting.ended
    }

    /// Ends the waiting task `taskID` (`cancel`); returns who is owed its result, or `nil` if it
    /// was not waiting.
    mutating func end(_ taskID: [UInt8]) -> ResultOwner? {
        guard let owner = markEnded(taskID) else { return nil }
        purgeEndedDelayed()
        return owner
    }

    /// Marks the waiting task `taskID` ended: a queued one stays where it is until dequeued.
    private mutating func markEnded(_ taskID: [UInt8]) -> ResultOwner? {
        guard isWaiting(taskID) else { return nil }
        index[taskID]!.ended = true
        return ResultOwner(taskID: taskID, replyTo: index[taskID]!.sender, attempts: index[taskID]!.attempts)
    }

    /// Rebuilds `delayed` without its ended tasks, freeing them now rather than at their `eta`,
    /// which may be far off. O(delayed tasks), for the rare cancel and expiry of a delayed task.
    private mutating func purgeEndedDelayed() {
        guard index.count > 0, delayed.unordered.contains(where: { index[$0.task.taskID]?.ended == true }) else { return }
        var kept: [TimedTask] = []
        for timed in delayed.unordered {
            var task = timed.task
            if index[task.taskID]?.ended == true { _ = noteDequeued(&task) } else { kept.append(timed) }
        }
        delayed = Heap(kept)
    }

    /// Holds `task` until its `eta`, and indexes it as waiting.
    mutating func delay(_ task: PendingTask, until eta: UInt64) {
        delayed.insert(TimedTask(due: eta, task: task))
        noteEnqueued(task)
        index[task.taskID]!.isDelayed = true
    }

    /// When the next delayed task or deadline is due, in milliseconds since 1970 (asked every
    /// pass of the loop: no allocation).
    var nextDue: UInt64? {
        switch (delayed.min?.due, deadlines.min?.due) {
        case (let delay?, let deadline?): min(delay, deadline)
        case (let due?, nil), (nil, let due?): due
        case (nil, nil): nil
        }
    }

    /// Takes the delayed tasks whose time has come by `now`, soonest first.
    mutating func takeDue(at now: UInt64) -> [PendingTask] {
        var due: [PendingTask] = []
        while let next = delayed.min, next.due <= now { due.append(delayed.removeMin().task) }
        return due
    }

    /// Ends the waiting tasks whose deadline has passed by `now`; returns who is owed their results.
    mutating func takeExpired(at now: UInt64) -> [ResultOwner] {
        var expired: [ResultOwner] = []
        var anyDelayed = false
        while let next = deadlines.min, next.due <= now {
            let taskID = deadlines.removeMin().taskID
            anyDelayed = anyDelayed || index[taskID]?.isDelayed == true
            if let task = markEnded(taskID) { expired.append(task) }
        }
        if anyDelayed { purgeEndedDelayed() }
        return expired
    }

    /// Takes every delayed task (the broker drains), soonest first.
    mutating func takeDelayed() -> [PendingTask] {
        var all: [PendingTask] = []
        while !delayed.isEmpty { all.append(delayed.removeMin().task) }
        return all
    }
}

/// A task's id, attempts and latest sender: who is owed its one final result.
struct ResultOwner {
    let taskID: [UInt8]
    let replyTo: ReplyAddress
    let attempts: Int
    /// The producer asked for partials: it reads, and its result waits for room behind them.
    var streams = false
}

/// A delayed task and its `eta`.
struct TimedTask: Comparable {
    /// Milliseconds since 1970.
    let due: UInt64
    let task: PendingTask

    static func < (lhs: TimedTask, rhs: TimedTask) -> Bool {
        (lhs.due, lhs.task.sequence) < (rhs.due, rhs.task.sequence)
    }

    static func == (lhs: TimedTask, rhs: TimedTask) -> Bool {
        lhs.due == rhs.due && lhs.task.sequence == rhs.task.sequence
    }
}
