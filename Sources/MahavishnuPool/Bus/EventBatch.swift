import MahavishnuCore

/// Finished tasks' events on their way to the bus, handed over in batches: at most
/// `maxDelay` after the first one waiting, or as soon as `maxCount` wait.
///
/// Nobody waits on these events (the memory aggregator stores them, `bus tail` prints them),
/// while a hand-over wakes the bus thread: once per task, that wake-up doubled the pool's share
/// of a round trip's latency on a two-core machine.
struct EventBatch {
    static let maxDelay = Duration.milliseconds(10)
    static let maxCount = 256

    private var pending: [TaskCompletedEvent] = []
    /// When the waiting events are due; `nil` when none wait.
    private(set) var flushAt: ContinuousClock.Instant?

    var isDue: Bool {
        pending.count >= Self.maxCount || flushAt.map { ContinuousClock.now >= $0 } ?? false
    }

    mutating func append(_ event: TaskCompletedEvent) {
        if pending.isEmpty { flushAt = .now + Self.maxDelay }
        pending.append(event)
    }

    /// The waiting events, oldest first; none wait afterwards.
    mutating func take() -> [TaskCompletedEvent] {
        flushAt = nil
        defer { pending.removeAll(keepingCapacity: true) }
        return pending
    }
}
