import MahavishnuCore
import Synchronization

/// The results a `MemoryAggregator` received and has not yet written, oldest first, and what it
/// had to drop, waiting for its writer.
///
/// Receiving never waits for the database: `add` queues a result (or, past `capacity`, records
/// its task id as lost) and rings the writer when it is idle. The writer `take`s everything that
/// has arrived at once, writes it and takes again, so at low traffic a result is written as soon
/// as it arrives and at high traffic each take holds everything that came during the writes before.
final class MemoryWriteQueue: Sendable {
    /// Results taken by the writer, oldest first.
    struct Batch: Sendable {
        var events: [TaskCompletedEvent]
        var arrivals: [ContinuousClock.Instant]
        var losses: MemoryLosses
    }

    private struct State {
        var events: [TaskCompletedEvent] = []
        var arrivals: [ContinuousClock.Instant] = []
        var losses = MemoryLosses()
        /// Task ids recorded in `losses` since the writer last took them.
        var lostIDs = 0
        var writerIdle = true
    }

    /// Most results queued; beyond it a result is dropped and its task id recorded. (The writer
    /// holds at most as many again while it writes them.)
    let capacity: Int
    /// Rings for the writer: one is buffered while it is busy; the stream ends after `finish()`.
    let rings: AsyncStream<Void>
    private let doorbell: AsyncStream<Void>.Continuation
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = capacity
        (rings, doorbell) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Results waiting to be written.
    var count: Int { state.withLock { $0.events.count } }

    /// Queues `event` for the writer; when `capacity` results already wait, records it as lost
    /// instead (by task id, up to `capacity` ids; beyond that only counted).
    func add(_ event: TaskCompletedEvent) {
        let wake = state.withLock { state in
            if state.events.count < capacity {
                state.events.append(event)
                state.arrivals.append(.now)
            } else if state.lostIDs < capacity {
                state.losses.add(taskID: event.taskID, poolID: event.poolID, reason: .storeBehind)
                state.lostIDs += 1
            } else {
                state.losses.count(1, from: event.poolID, reason: .storeBehind)
            }
            defer { state.writerIdle = false }
            return state.writerIdle
        }
        if wake { doorbell.yield() }
    }

    /// Adds `losses` to what the next write records.
    func record(_ losses: MemoryLosses) {
        guard !losses.isEmpty else { return }
        state.withLock { $0.losses.merge(losses) }
    }

    /// Wakes the writer, busy or not.
    func ring() {
        doorbell.yield()
    }

    /// Every queued result and every loss recorded, or `nil` (the writer is idle from then on)
    /// when there is nothing to write. Takes no longer than swapping two arrays.
    func take() -> Batch? {
        state.withLock { state in
            guard !state.events.isEmpty || !state.losses.isEmpty else {
                state.writerIdle = true
                return nil
            }
            let batch = Batch(events: state.events, arrivals: state.arrivals, losses: state.losses)
            state.events = []
            state.arrivals = []
            state.losses = MemoryLosses()
            state.lostIDs = 0
            return batch
        }
    }

    /// Puts back what the writer could not write, ahead of what arrived since.
    func putBack(_ batch: Batch) {
        state.withLock { state in
            state.events.insert(contentsOf: batch.events, at: 0)
            state.arrivals.insert(contentsOf: batch.arrivals, at: 0)
            state.lostIDs += batch.losses.tasks.count
            var losses = batch.losses
            losses.merge(state.losses)
            state.losses = losses
        }
    }

    /// Ends `rings` once the writer has had the last one: nothing is added after this.
    func finish() {
        doorbell.yield()
        doorbell.finish()
    }
}
