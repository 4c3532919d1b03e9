import MahavishnuCore

/// What the dashboard shows, as the router loop last published it (once per heartbeat tick):
/// health and pools, counters, and the last 15 minutes of finished tasks. `GET /api/overview`.
public struct BrokerOverview: Codable, Sendable {
    /// When it was published, seconds since 1970.
    public var publishedAt: Double = 0
    public var health = HealthReport(status: .unhealthy, poolsActive: 0, queueDepth: 0, pools: [])
    public var stats = BrokerStats()
    /// What `health` does not say about each pool.
    public var pools: [PoolDetails] = []
    public var activity: [ActivityBucket] = []

    public init() {}

    enum CodingKeys: String, CodingKey { case publishedAt = "published_at", health, stats, pools, activity }
}

/// A pool's host and process, restarts, memory and finished tasks.
public struct PoolDetails: Codable, Sendable {
    public let poolID: String
    public let name: String
    public let host: String
    public let pid: Int32
    public let workerType: String
    public let restarts: Int
    /// From its last heartbeat; 0 before the first.
    public let residentMemoryBytes: Int
    public let tasksCompleted: Int

    enum CodingKeys: String, CodingKey {
        case poolID = "pool_id", name, host, pid, workerType = "worker_type", restarts
        case residentMemoryBytes = "resident_memory_bytes", tasksCompleted = "tasks_completed"
    }
}
