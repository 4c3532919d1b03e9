import Logging
import MahavishnuClient
import MahavishnuCore
import ServiceLifecycle

/// Keeps every finished task's result: subscribes to `task_completed` on the bus and writes the
/// results to the memory store continuously.
///
/// A dedicated writer commits whatever has arrived as soon as its previous write is done (group
/// commit), starting writes at most every `gatherTime`: at low traffic a result is in the
/// database within milliseconds of arriving, at high traffic each write takes everything that
/// came during the one before (`batchSize` at a time).
/// Receiving never waits for the database. What the store cannot have it records, per pool and
/// reason (`MemoryLossReason`), with the task ids where they are known: `memory stats` shows it.
///
/// Each task id is stored once, however often it is reported, and the store keeps everything
/// across restarts. Run it as a `Service`: on graceful shutdown it waits until what was
/// published before has reached it, writes it, and returns.
public final class MemoryAggregator: Service, Sendable {
    /// The database the results go to (also readable on its own, as `memory search` does).
    public let store: MemoryStore
    /// Where it listens and stores, and how much it writes at once.
    public let configuration: MemoryAggregatorConfiguration
    private let bus: MessageBus
    private let events: AsyncStream<BusMessage>
    private let queue: MemoryWriteQueue
    private let logger: Logger

    /// The shortest time from the start of one write to the start of the next: results arriving
    /// meanwhile go in one transaction. Each commit rewrites the pages it touches, so at a few
    /// thousand results a second, one commit per handful of results would cost several times the
    /// CPU of one per 10 ms; a result arriving after a quiet spell is written at once.
    static let gatherTime = Duration.milliseconds(10)

    /// Opens (or creates) the store and subscribes to `task_completed`; call `start()` to wait until the subscription is in effect.
    public init(configuration: MemoryAggregatorConfiguration, logger: Logger = Logger(label: "mahavishnu.memory")) throws {
        self.configuration = configuration
        self.logger = logger
        store = try MemoryStore(path: configuration.databasePath)
        bus = try MessageBus(configuration: configuration.bus, logger: logger)
        events = bus.subscribe(to: [.taskCompleted], scope: .all)
        queue = MemoryWriteQueue(capacity: configuration.maxPending)
    }

    /// Returns once the subscription is in effect: results published from now on will be stored.
    public func start(timeout: Duration = .seconds(10)) async throws {
        try await bus.roundTrip(timeout: timeout)
    }

    /// Stores results until graceful shutdown (or cancellation), then writes what is left.
    public func run() async {
        let bus = self.bus
        // Unstructured, so cancelling `run` still lets the writer write what has arrived.
        let writer = Task { await self.writeContinuously() }
        let ticker = Task { await self.ringPeriodically() }
        await withGracefulShutdownHandler {
            for await message in events {
                guard let event = try? message.payload(as: TaskCompletedEvent.self) else {
                    logger.info("ignoring an unreadable task_completed", metadata: ["bus.source": "\(message.sourcePoolID)"])
                    var losses = MemoryLosses()
                    losses.count(1, from: message.sourcePoolID, reason: .unreadable)
                    queue.record(losses)
                    continue
                }
                queue.add(event)
            }
        } onGracefulShutdown: {
            // Everything published before now reaches the stream before the probe; then the
            // stream ends and the loop above queues the rest.
            Task {
                try? await bus.roundTrip(timeout: .seconds(2))
                bus.close()
            }
        }
        bus.close()
        ticker.cancel()
        queue.finish()
        await writer.value
        logger.info("memory aggregator stopped", metadata: ["memory.database": "\(store.path)"])
    }

    /// Up to `limit` stored results matching `query` across every pool (or only `pool`), best first, with a snippet each.
    public func crossPoolSearch(_ query: String, pool: String? = nil, limit: Int = 10) async throws -> [MemoryMatch] {
        try await store.search(query, pool: pool, limit: limit)
    }

    /// Stored results per pool, what the store lacks, and the aggregator's totals.
    public func stats() async throws -> MemoryStats {
        try await store.stats()
    }

    /// What the aggregator's bus connection has received and lost.
    public var busStatistics: BusStatistics { bus.statistics }

    /// Writes what has arrived whenever rung, until the queue is finished.
    private func writeContinuously() async {
        var busLossesCounted: [String: Int] = [:]
        var lastWarning: ContinuousClock.Instant?
        var lastWrite = ContinuousClock.now - Self.gatherTime
        rings: for await _ in queue.rings {
            queue.record(newBusLosses(since: &busLossesCounted))
            while true {
                let gathered = lastWrite + Self.gatherTime
                if gathered > .now { try? await Task.sleep(until: gathered) }
                guard let batch = queue.take() else { break }
                lastWrite = .now
                // One transaction per `batchSize` results; the losses go with the first.
                var start = 0
                var losses = batch.losses
                repeat {
                    let end = min(batch.events.count, start + configuration.batchSize)
                    if start < end { warnIfBehind(since: batch.arrivals[start], pending: batch.events.count - start, lastWarning: &lastWarning) }
                    do {
                        let stored = try await store.store(Array(batch.events[start..<end]), losses: losses)
                        logger.trace("memory written", metadata: ["memory.stored": "\(stored)", "memory.received": "\(end - start)"])
                    } catch {
                        logger.error("cannot write to the memory database; will retry", metadata: ["memory.database": "\(store.path)", "error": "\(error)"])
                        queue.putBack(MemoryWriteQueue.Batch(events: Array(batch.events[start...]), arrivals: Array(batch.arrivals[start...]), losses: losses))
                        continue rings
                    }
                    start = end
                    losses = MemoryLosses()
                } while start < batch.events.count
            }
        }
        let unwritten = queue.count
        if unwritten > 0 {
            logger.error("memory aggregator stopped with results it could not write", metadata: ["memory.database": "\(store.path)", "memory.pending": "\(unwritten)"])
        }
    }

    /// Logs, at most every 10 s, that a result arrived longer than `syncInterval` ago and is still not written.
    private func warnIfBehind(since arrival: ContinuousClock.Instant, pending: Int, lastWarning: inout ContinuousClock.Instant?) {
        let now = ContinuousClock.now
        guard now - arrival > configuration.syncInterval, lastWarning.map({ now - $0 > .seconds(10) }) ?? true else { return }
        lastWarning = now
        logger.warning("the memory store is behind: results wait longer than memory_sync_interval to be written", metadata: [
            "memory.waited": "\(now - arrival)", "memory.pending": "\(pending + queue.count)",
        ])
    }

    /// Rings the writer every `syncInterval`, so losses the bus counted and writes that failed
    /// are written even when no result arrives.
    private func ringPeriodically() async {
        while (try? await Task.sleep(for: configuration.syncInterval)) != nil {
            queue.ring()
        }
    }

    /// The bus's `task_completed` losses since `counted`, by pool; `counted` moves up to now.
    private func newBusLosses(since counted: inout [String: Int]) -> MemoryLosses {
        let current = bus.losses(of: .taskCompleted)
        var losses = MemoryLosses()
        for (pool, count) in current { losses.count(count - counted[pool, default: 0], from: pool, reason: .bus) }
        counted = current
        return losses
    }
}
