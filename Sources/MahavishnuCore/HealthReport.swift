/// The broker's health, computed from what it observes of each pool (the `health` reply).
///
/// Rules (also in docs/failure-handling.md):
/// - a pool is `healthy` while it accepts work and its heartbeats arrive, `unhealthy` while its
///   heartbeats say it cannot run tasks (its `reason`: a delegated pool's service is unreachable),
///   `draining` once it is closing, `lost` once it missed `heartbeat_liveness` heartbeats (or its
///   process died) and until it registers again;
/// - overall `unhealthy` when no pool is healthy, `degraded` when some pool is not healthy or
///   tasks wait in the broker's queue, `healthy` otherwise.
public struct HealthReport: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable { case healthy, degraded, unhealthy }

    public var status: Status
    /// Pools that accept work.
    public var poolsActive: Int
    /// Tasks waiting in the broker for a free slot.
    public var queueDepth: Int
    public var pools: [PoolHealth]
    /// The answering broker's place in its pair; `nil` for a broker alone.
    public var pair: PairStatus?

    public init(status: Status, poolsActive: Int, queueDepth: Int, pools: [PoolHealth], pair: PairStatus? = nil) {
        self.status = status
        self.poolsActive = poolsActive
        self.queueDepth = queueDepth
        self.pools = pools
        self.pair = pair
    }

    enum CodingKeys: String, CodingKey { case status, poolsActive = "pools_active", queueDepth = "queue_depth", pools, pair }
}

/// One pool's health.
public struct PoolHealth: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable { case healthy, unhealthy, draining, lost }

    public var poolID: String
    public var name: String
    public var type: String
    public var status: Status
    /// Worker slots.
    public var workers: Int
    /// Workers running a task now (the broker's in-flight count for the pool).
    public var activeWorkers: Int
    public var min: Int
    public var max: Int
    /// Affinity tasks waiting for this pool.
    public var queueDepth: Int
    /// Milliseconds since the broker last heard from the pool.
    public var lastHeartbeatMs: Int
    /// Why the pool is `unhealthy`, as its heartbeats say; `nil` otherwise.
    public var reason: String?

    public init(poolID: String, name: String, type: String, status: Status, workers: Int, activeWorkers: Int, min: Int, max: Int, queueDepth: Int, lastHeartbeatMs: Int, reason: String? = nil) {
        self.poolID = poolID
        self.name = name
        self.type = type
        self.status = status
        self.workers = workers
        self.activeWorkers = activeWorkers
        self.min = min
        self.max = max
        self.queueDepth = queueDepth
        self.lastHeartbeatMs = lastHeartbeatMs
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case poolID = "pool_id", name, type, status, workers, activeWorkers = "active_workers", min, max
        case queueDepth = "queue_depth", lastHeartbeatMs = "last_heartbeat_ms", reason
    }
}
