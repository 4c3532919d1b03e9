import DequeModule
import MahavishnuCore

/// Tasks waiting for the same pools (the shared queue, or one pool's affinity queue), served by
/// priority with aging: the task with the lowest `PendingTask.rank` first, ties in arrival order.
///
/// One first-in-first-out deque per priority: within a priority ranks only grow, so the next
/// task is the best of at most ten heads, and a queue of one priority costs what a deque costs.
struct WaitingQueue: Sequence {
    private var levels = [Deque<PendingTask>](repeating: [], count: TaskSchedule.priorities.count)
    private(set) var count = 0

    /// Tasks per priority, 0 first (those that ended while they waited included, until dequeued).
    var countByPriority: [Int] { levels.map(\.count) }

    var isEmpty: Bool { count == 0 }

    /// The priority level whose head is served next.
    private var nextLevel: Int? {
        var best: Int?
        for level in levels.indices.reversed() where !levels[level].isEmpty {
            if let current = best, !levels[level].first!.isServed(before: levels[current].first!) { continue }
            best = level
        }
        return best
    }

    /// The task served next.
    var first: PendingTask? { nextLevel.map { levels[$0].first! } }

    /// Adds an arriving task behind the others of its priority.
    mutating func append(_ task: PendingTask) {
        levels[task.schedule.priority].append(task)
        count += 1
    }

    /// Puts a task back in front of the others of its priority (its pool was lost).
    mutating func prepend(_ task: PendingTask) {
        levels[task.schedule.priority].prepend(task)
        count += 1
    }

    /// Takes the task served next.
    @discardableResult
    mutating func popFirst() -> PendingTask? {
        guard let level = nextLevel else { return nil }
        count -= 1
        return levels[level].removeFirst()
    }

    /// Takes out the first task that `matches`, wherever it waits.
    mutating func remove(where matches: (PendingTask) -> Bool) -> PendingTask? {
        for level in levels.indices {
            if let index = levels[level].firstIndex(where: matches) {
                count -= 1
                return levels[level].remove(at: index)
            }
        }
        return nil
    }

    mutating func removeAll() {
        for level in levels.indices { levels[level].removeAll() }
        count = 0
    }

    /// Every waiting task, highest priority first (not in serving order).
    func makeIterator() -> FlattenSequence<ReversedCollection<[Deque<PendingTask>]>>.Iterator {
        levels.reversed().joined().makeIterator()
    }
}
