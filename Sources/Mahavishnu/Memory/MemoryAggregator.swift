import Logging
import MahavishnuCore
import ServiceLifecycle
import Synchronization

/// Keeps every finished task's result: subscribes to `task_completed` on the bus and writes the
/// results to the memory store in batches, every `syncInterval` or as soon as a batch fills.
///
/// Each task id is stored once, however often it is reported or synced, and the store keeps
/// everything across restarts. Run it as a `Service`: on graceful shutdown it waits until what
/// was published before has reached it, writes it, and returns.
public final class MemoryAggregator: Service, Sendable {
    /// The database the results go to (also readable on its own, as `memory search` does).
    public let store: MemoryStore
    /// Where it listens and stores, and how often it writes.
    public let configuration: MemoryAggregatorConfiguration
    private let bus: MessageBus
    private let events: AsyncStream<BusMessage>
    private let logger: Logger
    private let pending = Mutex(PendingResults())

    /// Results received and not yet written, and losses not yet added to the stored counters.
    private struct PendingResults {
        var events: [TaskCompletedEvent] = []
        var lost = 0
        var busLossesCounted = 0
    }

    /// Opens (or creates) the store and subscribes to `task_completed`; call `start()` to wait until the subscription is in effect.
    public init(configuration: MemoryAggregatorConfiguration, logger: Logger = Logger(label: "mahavishnu.memory")) throws {
        self.configuration = configuration
        self.logger = logger
        store = try MemoryStore(path: configuration.databasePath)
        bus = try MessageBus(configuration: configuration.bus, logger: logger)
        events = bus.subscribe(to: [.taskCompleted], scope: .all)
    }

    /// Returns once the subscription is in effect: results published from now on will be stored.
    public func start(timeout: Duration = .seconds(10)) async throws {
        try await bus.roundTrip(timeout: timeout)
    }

    /// Stores results until graceful shutdown (or cancellation), then writes what is left.
    public func run() async {
        let bus = self.bus
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.syncPeriodically() }
                for await message in events {
                    guard let event = try? message.payload(as: TaskCompletedEvent.self) else {
                        logger.info("ignoring an unreadable task_completed", metadata: ["bus.source": "\(message.sourcePoolID)"])
                        continue
                    }
                    if add(event) { await write(sync: false) }
                }
                group.cancelAll()
            }
            await write(sync: false)
        } onGracefulShutdown: {
            // Everything published before now reaches the stream before the probe; then the
            // stream ends and the loop above writes the rest.
            Task {
                try? await bus.roundTrip(timeout: .seconds(2))
                bus.close()
            }
        }
        bus.close()
        logger.info("memory aggregator stopped", metadata: ["memory.database": "\(store.path)"])
    }

    /// Up to `limit` stored results matching `query` across every pool (or only `pool`), best first, with a snippet each.
    public func crossPoolSearch(_ query: String, pool: String? = nil, limit: Int = 10) async throws -> [MemoryMatch] {
        try await store.search(query, pool: pool, limit: limit)
    }

    /// Stored results per pool and the aggregator's totals.
    public func stats() async throws -> MemoryStats {
        try await store.stats()
    }

    /// What the aggregator's bus connection has received and lost.
    public var busStatistics: BusStatistics { bus.statistics }

    /// Queues `event`; returns whether a batch is full.
    private func add(_ event: TaskCompletedEvent) -> Bool {
        pending.withLock { pending in
            guard pending.events.count < configuration.maxPending else {
                pending.lost += 1
                return false
            }
            pending.events.append(event)
            return pending.events.count >= configuration.batchSize
        }
    }

    /// Writes every `syncInterval` until cancelled.
    private func syncPeriodically() async {
        while (try? await Task.sleep(for: configuration.syncInterval)) != nil {
            await write(sync: true)
        }
    }

    /// Writes the queued results (and, for a periodic sync, counts the sync). On failure they
    /// stay queued for the next attempt.
    private func write(sync: Bool) async {
        let busLosses = bus.statistics.missed + bus.statistics.dropped
        let (batch, counters) = pending.withLock { pending in
            defer {
                pending.events.removeAll(keepingCapacity: true)
                pending.lost = 0
                pending.busLossesCounted = busLosses
            }
            let counters = MemoryCounters(eventsMissed: pending.lost + busLosses - pending.busLossesCounted, syncs: sync ? 1 : 0)
            return (pending.events, counters)
        }
        guard !batch.isEmpty || counters != MemoryCounters() else { return }
        do {
            let stored = try await store.store(batch, counters: counters)
            logger.debug("memory synced", metadata: ["memory.stored": "\(stored)", "memory.received": "\(batch.count)"])
        } catch {
            logger.error("cannot write to the memory database; will retry", metadata: ["memory.database": "\(store.path)", "error": "\(error)"])
            pending.withLock { pending in
                pending.events.insert(contentsOf: batch, at: 0)
                pending.lost += counters.eventsMissed
            }
        }
    }
}
