import Foundation
import MahavishnuCore
import Prometheus
import Synchronization

/// The broker's Prometheus metrics, `mahavishnu_` each, in base units.
///
/// What `stats` counts already is copied in once per heartbeat tick (`advance`), so the hot path
/// pays nothing for it; finished tasks by pool and status, and the run-time and queue-wait
/// histograms, are recorded as they happen (an atomic add; a short lock). An HTTP thread writes
/// them out (`exposition()`) for a scrape: the router never waits on one.
public final class BrokerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    /// What the dashboard shows, published once per heartbeat tick.
    public let overview = Mutex(BrokerOverview())

    private let accepted: Counter
    private let dispatched: Counter
    private let refused: (overloaded: Counter, tooLarge: Counter, invalid: Counter)
    private let failedWorkerLost: Counter
    private let resultsUndeliverable: Counter
    private let authRefused: (noKey: Counter, unknownKey: Counter, wrongRole: Counter, badHandshake: Counter)
    private let adminRefused: Counter
    private let partialsForwarded: Counter
    private let partialsDropped: Counter
    /// Tasks run again after their worker or pool was lost (counted as they are).
    let retried: Counter
    /// Tasks that ended with no pool's result: cancelled or expired while they waited, or failed
    /// `worker_lost` (pool label empty).
    let endedByBroker: [TaskStatus: Counter]
    let runTime: DurationHistogram
    let queueWait: DurationHistogram
    /// Each journal write, with its sync under `fsync`.
    let journalWrites: DurationHistogram
    private let busForwarded: Counter
    private let busMalformed: Counter
    /// The bus proxy whose counts a scrape copies in, and what it copied last.
    private let bus = Mutex<(proxy: BusProxy?, exported: BusProxyStatistics)>((nil, BusProxyStatistics(messagesForwarded: 0, subscriptionChanges: 0, malformed: 0)))
    /// The broker's own bus clients, whose losses a scrape copies in.
    private let busClients = Mutex<[WatchedBusClient]>([])

    private let queueDepth: [Gauge]
    private let delayed: Gauge
    private let inFlight: Gauge
    private let pools: Gauge
    private let residentMemory: Gauge
    private let journalBytes: Gauge
    private let queueBytes: Gauge
    private let partialsHeld: Gauge
    private let resultsHeld: Gauge

    /// Buckets of journal writes: 10 µs to 1 s.
    static let journalBuckets: [Duration] = [
        .microseconds(10), .microseconds(50), .microseconds(100), .microseconds(500), .milliseconds(1), .milliseconds(5),
        .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1),
    ]

    /// Buckets of task run time and queue wait: 1 ms to 10 min.
    static let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(500),
        .seconds(1), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300), .seconds(600),
    ]

    public init() {
        let registry = self.registry
        func counter(_ name: String, _ help: String, _ labels: [(String, String)] = []) -> Counter {
            registry.makeCounter(name: "mahavishnu_" + name, labels: labels, help: help)
        }
        func gauge(_ name: String, _ help: String, _ labels: [(String, String)] = []) -> Gauge {
            registry.makeGauge(name: "mahavishnu_" + name, labels: labels, help: help)
        }
        accepted = counter("tasks_accepted_total", "Tasks the broker accepted.")
        dispatched = counter("tasks_dispatched_total", "Dispatches of tasks to pools (a task run again counts again).")
        let refusedHelp = "Tasks refused, by reason."
        refused = (counter("tasks_refused_total", refusedHelp, [("reason", "overloaded")]), counter("tasks_refused_total", refusedHelp, [("reason", "too_large")]),
                   counter("tasks_refused_total", refusedHelp, [("reason", "invalid")]))
        failedWorkerLost = counter("tasks_failed_worker_lost_total", "Tasks that failed worker_lost after their retry budget.")
        resultsUndeliverable = counter("results_undeliverable_total", "Final results no producer could be reached for.")
        let authHelp = "CURVE connections refused, by reason."
        authRefused = (counter("auth_refused_total", authHelp, [("reason", "no_key")]), counter("auth_refused_total", authHelp, [("reason", "unknown_key")]),
                       counter("auth_refused_total", authHelp, [("reason", "wrong_role")]), counter("auth_refused_total", authHelp, [("reason", "bad_handshake")]))
        adminRefused = counter("admin_refused_total", "Administrative commands refused for want of an admin key.")
        partialsForwarded = counter("partials_forwarded_total", "Partial outputs passed on to streaming producers.")
        partialsDropped = counter("partials_dropped_total", "Partial outputs dropped: no stream asked for, the producer gone, or the hold full.")
        retried = counter("tasks_retried_total", "Tasks run again because their worker or pool was lost.")
        endedByBroker = Dictionary(uniqueKeysWithValues: TaskStatus.allCases.map { status in
            (status, counter("tasks_finished_total", Self.finishedHelp, [("pool", ""), ("status", status.rawValue)]))
        })
        runTime = registry.makeDurationHistogram(name: "mahavishnu_task_run_seconds", buckets: Self.durationBuckets,
                                                 help: "From a task's dispatch to its result at the broker.")
        queueWait = registry.makeDurationHistogram(name: "mahavishnu_task_queue_wait_seconds", buckets: Self.durationBuckets,
                                                   help: "From a task's arrival in its queue to its dispatch.")
        journalWrites = registry.makeDurationHistogram(name: "mahavishnu_journal_write_seconds", buckets: Self.journalBuckets,
                                                       help: "Each journal write: write(2) of a batch of records, and fdatasync(2) with journal_mode fsync.")
        busForwarded = counter("bus_messages_forwarded_total", "Bus messages the broker's proxy passed from publishers to subscribers.")
        busMalformed = counter("bus_messages_malformed_total", "Bus messages the proxy dropped as malformed (more than 16 frames).")
        queueDepth = TaskSchedule.priorities.map { gauge("queue_depth", "Tasks waiting in the broker's queues, delayed ones included, by priority.", [("priority", String($0))]) }
        delayed = gauge("tasks_delayed", "Tasks held until their eta.")
        inFlight = gauge("tasks_in_flight", "Tasks dispatched and not answered yet.")
        pools = gauge("pools", "Pools registered.")
        residentMemory = gauge("broker_resident_memory_bytes", "The broker process's resident memory.")
        journalBytes = gauge("journal_bytes", "The journal file's size (0 with journal_mode off).")
        queueBytes = gauge("queue_bytes", "Bytes of the task bodies waiting in the broker's queues.")
        partialsHeld = gauge("partials_held", "Partial outputs held for producers that had no room for them yet.")
        resultsHeld = gauge("results_held", "Final results of streaming tasks held for producers that had no room for them yet.")
        gauge("build_info", "The broker's version; always 1.", [("version", MahavishnuVersion.current)]).set(to: 1)
    }

    /// Brings the counters from `previous` to `current` (two `stats` snapshots) and sets the
    /// gauges from `current`; `depthByPriority` is the waiting tasks per priority, 0 first.
    func advance(from previous: BrokerStats, to current: BrokerStats, depthByPriority: [Int]) {
        func add(_ counter: Counter, _ keyPath: KeyPath<BrokerStats, Int>) {
            let delta = current[keyPath: keyPath] - previous[keyPath: keyPath]
            if delta > 0 { counter.increment(by: Int64(delta)) }
        }
        add(accepted, \.tasksAccepted)
        add(dispatched, \.tasksDispatched)
        add(refused.overloaded, \.tasksRefusedOverloaded)
        add(refused.tooLarge, \.tasksRefusedTooLarge)
        add(refused.invalid, \.tasksRefusedInvalid)
        add(failedWorkerLost, \.tasksFailedWorkerLost)
        add(resultsUndeliverable, \.resultsUndeliverable)
        add(authRefused.noKey, \.authRefusedNoKey)
        add(authRefused.unknownKey, \.authRefusedUnknownKey)
        add(authRefused.wrongRole, \.authRefusedWrongRole)
        add(authRefused.badHandshake, \.authRefusedBadHandshake)
        add(adminRefused, \.adminRefused)
        add(partialsForwarded, \.partialsForwarded)
        add(partialsDropped, \.partialsDropped)
        for (gauge, depth) in zip(queueDepth, depthByPriority) { gauge.set(Int64(depth)) }
        delayed.set(Int64(current.delayed))
        inFlight.set(Int64(current.inFlight))
        pools.set(Int64(current.pools))
        journalBytes.set(Int64(current.journalBytes))
        queueBytes.set(Int64(current.queueBytes))
        partialsHeld.set(Int64(current.partialsHeld))
        resultsHeld.set(Int64(current.resultsHeld))
        residentMemory.set(Int64(residentMemoryBytes()))
    }

    static let finishedHelp = "Tasks that ended, by the pool that ran them and their status."

    /// Counts `proxy`'s messages (read at each scrape).
    func watch(_ proxy: BusProxy) {
        bus.withLock { $0.proxy = proxy }
    }

    /// Counts what the broker's bus client `client` lost, read with `losses` at each scrape.
    public func watchBusClient(_ client: String, losses: @escaping @Sendable () -> BusLosses) {
        let counters = BusLosses.reasons.map { reason in
            registry.makeCounter(name: "mahavishnu_bus_messages_lost_total", labels: [("client", client), ("reason", reason)],
                                 help: "Bus messages the broker's own bus clients lost, by client and reason.")
        }
        busClients.withLock { $0.append(WatchedBusClient(read: losses, counters: counters)) }
    }

    /// The metrics in the Prometheus text format, version 0.0.4.
    public func exposition() -> [UInt8] {
        busClients.withLock { clients in
            for index in clients.indices { clients[index].copy() }
        }
        bus.withLock { bus in
            guard let current = bus.proxy?.statistics else { return }
            if current.messagesForwarded > bus.exported.messagesForwarded { busForwarded.increment(by: Int64(current.messagesForwarded - bus.exported.messagesForwarded)) }
            if current.malformed > bus.exported.malformed { busMalformed.increment(by: Int64(current.malformed - bus.exported.malformed)) }
            bus.exported = current
        }
        return registry.emitToBuffer()
    }

    /// One pool's metrics, labelled with its name.
    func pool(named name: String) -> PoolMetricHandles {
        PoolMetricHandles(registry: registry, name: name)
    }

    /// A departed pool's series stop being exported.
    func remove(_ handles: PoolMetricHandles) {
        for counter in handles.finished.values { registry.unregisterCounter(counter) }
        for gauge in [handles.up, handles.busyWorkers, handles.idleWorkers, handles.restarts, handles.residentMemory] { registry.unregisterGauge(gauge) }
    }
}

/// The series of one pool: finished tasks by status, whether it is up, its workers, restarts and memory.
struct PoolMetricHandles: Sendable {
    let finished: [TaskStatus: Counter]
    let up: Gauge
    let busyWorkers: Gauge
    let idleWorkers: Gauge
    let restarts: Gauge
    let residentMemory: Gauge

    init(registry: PrometheusCollectorRegistry, name: String) {
        finished = Dictionary(uniqueKeysWithValues: TaskStatus.allCases.map { status in
            (status, registry.makeCounter(name: "mahavishnu_tasks_finished_total", labels: [("pool", name), ("status", status.rawValue)],
                                          help: BrokerMetrics.finishedHelp))
        })
        let pool = [("pool", name)]
        up = registry.makeGauge(name: "mahavishnu_pool_up", labels: pool, help: "1 while the pool is registered and heard from, 0 once it is lost.")
        busyWorkers = registry.makeGauge(name: "mahavishnu_pool_workers", labels: pool + [("state", "busy")], help: "The pool's worker slots, busy or idle.")
        idleWorkers = registry.makeGauge(name: "mahavishnu_pool_workers", labels: pool + [("state", "idle")], help: "The pool's worker slots, busy or idle.")
        restarts = registry.makeGauge(name: "mahavishnu_pool_restarts", labels: pool, help: "Times the broker restarted the pool's process.")
        residentMemory = registry.makeGauge(name: "mahavishnu_pool_resident_memory_bytes", labels: pool, help: "The pool process's resident memory, from its last heartbeat.")
    }
}

/// The resident memory of this process, from /proc/self/statm (0 where there is none).
func residentMemoryBytes() -> Int {
    guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
          let pages = statm.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}
