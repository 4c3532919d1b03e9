import DequeModule
import MahavishnuCore

/// Affinity tasks for pools a freshly started broker does not know yet: after a restart, pools
/// rejoin within a few heartbeats, and a producer's retry often arrives first. For
/// `affinity_wait_seconds` from the start such tasks wait for a pool of that name or id instead
/// of failing `no_such_pool`.
struct AwaitedPools {
    /// Until when unknown pools are waited for.
    let deadline: ContinuousClock.Instant
    /// Waiting tasks by the pool name or id they asked for, each list oldest first.
    private(set) var tasks: [String: Deque<PendingTask>] = [:]
    /// Names and ids of pools that registered and left while the wait was open: those are not
    /// coming back, so tasks for them are refused at once.
    private var departed: Set<String> = []

    init(deadline: ContinuousClock.Instant) { self.deadline = deadline }

    var isEmpty: Bool { tasks.isEmpty }

    /// Whether a task for the unknown pool `reference` waits for it now.
    func awaits(_ reference: String, at now: ContinuousClock.Instant = .now) -> Bool {
        now < deadline && !departed.contains(reference)
    }

    /// Whether the wait is over at `now`: what still waits is refused.
    func isOver(at now: ContinuousClock.Instant) -> Bool { now >= deadline }

    /// Call when a pool leaves, so tasks for it are refused rather than held.
    mutating func noteDeparted(name: String, poolID: String, at now: ContinuousClock.Instant = .now) {
        guard now < deadline else { return departed.removeAll() }
        departed.formUnion([name, poolID])
    }

    mutating func hold(_ task: PendingTask, for reference: String) {
        tasks[reference, default: []].append(task)
    }

    /// The tasks waiting for a pool called `name` or `poolID`, oldest first; they stop waiting here.
    mutating func take(name: String, poolID: String) -> [PendingTask] {
        let taken = Array(tasks.removeValue(forKey: name) ?? []) + Array(tasks.removeValue(forKey: poolID) ?? [])
        return taken.sorted { $0.sequence < $1.sequence }
    }

    /// Every task still waiting, by the pool reference it asked for; none wait here after.
    mutating func takeAll() -> [(reference: String, task: PendingTask)] {
        defer { tasks.removeAll() }
        return tasks.flatMap { reference, waiting in waiting.map { (reference, $0) } }
    }

    /// Takes the waiting task with this id out of its list, if any.
    mutating func remove(_ taskID: [UInt8]) -> PendingTask? {
        for (reference, waiting) in tasks {
            guard let index = waiting.firstIndex(where: { $0.taskID == taskID }) else { continue }
            let task = tasks[reference]!.remove(at: index)
            if tasks[reference]!.isEmpty { tasks[reference] = nil }
            return task
        }
        return nil
    }

    /// The waiting task with this id, if any.
    func task(_ taskID: [UInt8]) -> PendingTask? {
        for waiting in tasks.values {
            if let task = waiting.first(where: { $0.taskID == taskID }) { return task }
        }
        return nil
    }
}

extension RouterLoop {
    /// Holds an affinity task for the unknown pool `reference`; `false` when the queue is full.
    func holdForAwaitedPool(_ task: PendingTask, reference: String) -> Bool {
        guard queues.admits(task) else { return false }
        awaitedPools.hold(task, for: reference)
        queues.noteEnqueued(task)
        return true
    }

    /// Moves the tasks waiting for the pool that just registered in `slot` into its affinity queue.
    func adoptTasksWaitingForName(_ slot: Int) {
        guard !awaitedPools.isEmpty else { return }
        let pool = registry[slot]
        for var task in awaitedPools.take(name: pool.registration.name, poolID: pool.registration.poolID) {
            task.route = .pinned(pool.routingID)
            registry[slot].affinityQueue.append(task)
        }
    }

    /// Refuses what still waits for a pool once the wait is over (or the broker drains).
    func refuseAwaitedPools(_ code: ErrorCode, because why: String) {
        for (reference, task) in awaitedPools.takeAll() {
            var task = task
            if queues.noteDequeued(&task) { refuseAccepted(task, code, "no such pool '\(reference)': \(why)") }
        }
    }
}
