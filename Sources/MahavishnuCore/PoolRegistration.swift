/// What a pool tells the broker about itself in `READY` (JSON body).
public struct PoolRegistration: Codable, Sendable, Equatable {
    /// Stable id, also the pool's ZeroMQ routing id; kept across reconnects.
    public var poolID: String
    /// Human name, unique among live pools; affinity tasks may name it.
    public var name: String
    /// Pool type (`mahavishnu`, …).
    public var type: String
    /// The worker type its workers run (`echo`, …).
    public var workerType: String
    public var minWorkers: Int
    public var maxWorkers: Int
    /// Worker slots right now: how many tasks the broker may have in flight on this pool.
    public var workers: Int
    /// The pool process's pid, for supervision and metrics.
    public var pid: Int32
    /// The host the pool runs on.
    public var host: String
    /// Tasks the pool is still running from before this registration (after a reconnect).
    public var busy: Int
    /// The broker may grow and shrink the pool between min and max workers on its own.
    public var autoScale: Bool
    /// A token the pool process picks once, when it starts. A `READY` with the session of the
    /// pool's live registration repeats it (the broker welcomes it again and keeps its tasks);
    /// another session is a new process, whose predecessor's tasks are reclaimed. `nil`: every
    /// `READY` is a new session.
    public var session: String?
    /// The highest broker-pair epoch the pool has been welcomed at (docs/failover.md): an active
    /// broker below it is stale, and is fenced. `nil`: none.
    public var epoch: UInt64?

    public init(
        poolID: String, name: String, type: String, workerType: String,
        minWorkers: Int, maxWorkers: Int, workers: Int, pid: Int32, host: String, busy: Int = 0, autoScale: Bool = false,
        session: String? = nil, epoch: UInt64? = nil
    ) {
        self.poolID = poolID
        self.name = name
        self.type = type
        self.workerType = workerType
        self.minWorkers = minWorkers
        self.maxWorkers = maxWorkers
        self.workers = workers
        self.pid = pid
        self.host = host
        self.busy = busy
        self.autoScale = autoScale
        self.session = session
        self.epoch = epoch
    }

    enum CodingKeys: String, CodingKey {
        case poolID = "pool_id", name, type, workerType = "worker_type"
        case minWorkers = "min_workers", maxWorkers = "max_workers", workers, pid, host, busy, autoScale = "auto_scale", session, epoch
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        poolID = try container.decode(String.self, forKey: .poolID)
        name = try container.decode(String.self, forKey: .name)
        type = try container.decode(String.self, forKey: .type)
        workerType = try container.decode(String.self, forKey: .workerType)
        minWorkers = try container.decode(Int.self, forKey: .minWorkers)
        maxWorkers = try container.decode(Int.self, forKey: .maxWorkers)
        workers = try container.decode(Int.self, forKey: .workers)
        pid = try container.decode(Int32.self, forKey: .pid)
        host = try container.decode(String.self, forKey: .host)
        busy = try container.decodeIfPresent(Int.self, forKey: .busy) ?? 0
        autoScale = try container.decodeIfPresent(Bool.self, forKey: .autoScale) ?? false
        session = try container.decodeIfPresent(String.self, forKey: .session)
        epoch = try container.decodeIfPresent(UInt64.self, forKey: .epoch)
    }

    /// The problem with this registration, naming the field, or `nil` when the broker can use it.
    public func problem() -> String? {
        if let problem = PoolNaming.problem(with: poolID, field: "pool_id") { return problem }
        if let problem = PoolNaming.problem(with: name, field: "name") { return problem }
        if type.isEmpty || workerType.isEmpty { return "type and worker_type must not be empty" }
        if let problem = PoolNaming.problem(minWorkers: minWorkers, maxWorkers: maxWorkers, fields: ("min_workers", "max_workers")) { return problem }
        if !(0...maxWorkers).contains(workers) { return "workers must be 0 to max_workers (\(maxWorkers)); got \(workers)" }
        if !(0...maxWorkers).contains(busy) { return "busy must be 0 to max_workers (\(maxWorkers)); got \(busy)" }
        return nil
    }
}

/// A fresh pool id: `pool_` and 8 random hex digits.
public func newPoolID() -> String {
    let digits = String(UInt32.random(in: .min ... .max), radix: 16)
    return "pool_" + String(repeating: "0", count: 8 - digits.count) + digits
}

/// One pool as the broker sees it (an entry of the `list` control reply).
public struct PoolSummary: Codable, Sendable, Equatable {
    public var poolID: String
    public var name: String
    public var type: String
    public var workerType: String
    public var minWorkers: Int
    public var maxWorkers: Int
    /// Worker slots the pool announced.
    public var workers: Int
    /// Tasks the broker has dispatched to it that have no result yet.
    public var inFlight: Int
    /// Affinity tasks waiting for this pool's capacity.
    public var queued: Int
    /// Results it returned since it registered.
    public var tasksCompleted: Int
    public var pid: Int32
    public var host: String

    public init(
        poolID: String, name: String, type: String, workerType: String, minWorkers: Int,
        maxWorkers: Int, workers: Int, inFlight: Int, queued: Int, tasksCompleted: Int, pid: Int32, host: String
    ) {
        self.poolID = poolID
        self.name = name
        self.type = type
        self.workerType = workerType
        self.minWorkers = minWorkers
        self.maxWorkers = maxWorkers
        self.workers = workers
        self.inFlight = inFlight
        self.queued = queued
        self.tasksCompleted = tasksCompleted
        self.pid = pid
        self.host = host
    }

    enum CodingKeys: String, CodingKey {
        case poolID = "pool_id", name, type, workerType = "worker_type"
        case minWorkers = "min_workers", maxWorkers = "max_workers", workers
        case inFlight = "in_flight", queued, tasksCompleted = "tasks_completed", pid, host
    }
}

/// The broker's counters (the `stats` control reply).
public struct BrokerStats: Codable, Sendable, Equatable {
    /// Tasks accepted from producers.
    public var tasksAccepted = 0
    /// Tasks sent to pools (a task re-dispatched after a pool died counts again).
    public var tasksDispatched = 0
    /// Results delivered to producers.
    public var resultsDelivered = 0
    /// Results whose producer was gone when they arrived.
    public var resultsUndeliverable = 0
    /// Results for task ids with no lease (late duplicates); dropped.
    public var resultsStale = 0
    /// Retried task ids answered from the recent-results cache instead of running again.
    public var resultsFromCache = 0
    /// Tasks that ended `failed` / `worker_lost` after their pools kept dying.
    public var tasksFailedWorkerLost = 0
    /// Tasks that ended `cancelled` before they ran (`cancel`).
    public var tasksCancelled = 0
    /// Tasks that ended `expired`: their deadline passed while they waited.
    public var tasksExpired = 0
    /// Partial outputs sent on to streaming producers.
    public var partialsForwarded = 0
    /// Partial outputs dropped: for a task that did not ask to stream, a run the broker no longer
    /// leases, a producer that has gone, or past the bytes the broker holds for slow producers.
    public var partialsDropped = 0
    /// Partial outputs held now for producers that had no room for them yet.
    public var partialsHeld = 0
    /// Bytes of those partials (and of the results held) now.
    public var partialsHeldBytes = 0
    /// Final results of streaming tasks held now for producers that had no room for them yet
    /// (behind their partials, or after partials that filled the pipe).
    public var resultsHeld = 0
    /// Tasks refused with `overloaded`.
    public var tasksRefusedOverloaded = 0
    /// Tasks refused with `too_large`.
    public var tasksRefusedTooLarge = 0
    /// Tasks refused for any other reason (bad selector, unknown pool, …).
    public var tasksRefusedInvalid = 0
    /// Malformed messages received on the frontend (producers).
    public var malformedFrontend = 0
    /// Malformed messages received on the backend (pools).
    public var malformedBackend = 0
    /// Requests from producers and pools refused with `not_active` (this broker is not the pair's active).
    public var refusedNotActive = 0
    /// Malformed messages received from the pair's peer broker.
    public var malformedPeer = 0
    /// Connections refused because the peer had no CURVE keys.
    public var authRefusedNoKey = 0
    /// Connections refused because the key is not in the allow-list.
    public var authRefusedUnknownKey = 0
    /// Connections refused because the key's role is not allowed on that socket.
    public var authRefusedWrongRole = 0
    /// Connections whose CURVE handshake failed (a wrong broker key, say).
    public var authRefusedBadHandshake = 0
    /// Administrative commands refused for want of an admin key.
    public var adminRefused = 0
    /// Tasks waiting in the broker's queues now (delayed ones included).
    public var queueDepth = 0
    /// Of those, tasks held until their `eta` now.
    public var delayed = 0
    /// Bytes of the task bodies waiting in the broker's queues now.
    public var queueBytes = 0
    /// Results in the recent-results cache now.
    public var resultCacheEntries = 0
    /// Bytes of the results in the recent-results cache now.
    public var resultCacheBytes = 0
    /// The size of the broker's journal file now (0 with `journal_mode: off`).
    public var journalBytes = 0
    /// Results waiting for producers with their own routing id to come back now.
    public var resultsOwed = 0
    /// Tasks dispatched and not yet answered now.
    public var inFlight = 0
    /// Pools registered now.
    public var pools = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case tasksAccepted = "tasks_accepted", tasksDispatched = "tasks_dispatched"
        case resultsDelivered = "results_delivered", resultsUndeliverable = "results_undeliverable"
        case resultsStale = "results_stale", tasksRefusedOverloaded = "tasks_refused_overloaded"
        case resultsFromCache = "results_from_cache", tasksFailedWorkerLost = "tasks_failed_worker_lost"
        case tasksRefusedInvalid = "tasks_refused_invalid", malformedFrontend = "malformed_frontend"
        case malformedBackend = "malformed_backend", queueDepth = "queue_depth", inFlight = "in_flight", pools
        case authRefusedNoKey = "auth_refused_no_key", authRefusedUnknownKey = "auth_refused_unknown_key"
        case authRefusedWrongRole = "auth_refused_wrong_role", authRefusedBadHandshake = "auth_refused_bad_handshake"
        case adminRefused = "admin_refused", tasksRefusedTooLarge = "tasks_refused_too_large"
        case queueBytes = "queue_bytes", resultCacheEntries = "result_cache_entries", resultCacheBytes = "result_cache_bytes"
        case journalBytes = "journal_bytes", resultsOwed = "results_owed"
        case tasksCancelled = "tasks_cancelled", tasksExpired = "tasks_expired", delayed
        case partialsForwarded = "partials_forwarded", partialsDropped = "partials_dropped"
        case partialsHeld = "partials_held", partialsHeldBytes = "partials_held_bytes", resultsHeld = "results_held"
        case refusedNotActive = "refused_not_active", malformedPeer = "malformed_peer"
    }
}

/// The JSON frame of `WELCOME`: the heartbeat terms of the broker that accepted the pool.
///
/// A pool sends its heartbeats every `heartbeat_interval_ms` and declares the broker silent after
/// `heartbeat_liveness` intervals without a message from it; the broker declares the pool lost
/// on the same terms.
public struct WelcomeTerms: Codable, Sendable, Equatable {
    public var heartbeatIntervalMs: Int
    public var heartbeatLiveness: Int
    /// The largest result body the broker takes; a pool sends a `failed` result in place of a
    /// larger one. `nil` from a broker that does not say.
    public var maxResultBytes: Int?
    /// The welcoming broker's pair epoch; `nil` from a broker alone. A pool welcomed at a lower
    /// epoch than it has seen has reached a stale active, and moves on.
    public var epoch: UInt64?

    public init(heartbeatInterval: Duration, liveness: Int, maxResultBytes: Int? = nil, epoch: UInt64? = nil) {
        heartbeatIntervalMs = max(1, Int(heartbeatInterval.components.seconds * 1000 + heartbeatInterval.components.attoseconds / 1_000_000_000_000_000))
        heartbeatLiveness = liveness
        self.maxResultBytes = maxResultBytes
        self.epoch = epoch
    }

    /// The interval as a `Duration`.
    public var heartbeatInterval: Duration { .milliseconds(heartbeatIntervalMs) }

    enum CodingKeys: String, CodingKey {
        case heartbeatIntervalMs = "heartbeat_interval_ms", heartbeatLiveness = "heartbeat_liveness", maxResultBytes = "max_result_bytes", epoch
    }
}
