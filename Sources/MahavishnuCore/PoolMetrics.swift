/// What a pool measures about itself; it sends this with every heartbeat.
public struct PoolVitals: Codable, Sendable, Equatable {
    /// Workers running a task now.
    public var activeWorkers: Int
    /// Worker slots now.
    public var totalWorkers: Int
    public var tasksCompleted: Int
    /// Tasks that ended `failed` or `timeout`.
    public var tasksFailed: Int
    /// Mean task duration over the recent window, in milliseconds.
    public var averageDurationMs: Double
    /// 99th-percentile task duration over the recent window, in milliseconds.
    public var p99DurationMs: Double
    /// Resident memory of the pool process, in MB (from /proc).
    public var residentMemoryMB: Double
    /// Why the pool cannot run tasks now although it is connected (a `session-buddy` pool whose
    /// outside service is unreachable); `nil` when it can. The broker reports such a pool `unhealthy`.
    public var unhealthyReason: String?

    public init(activeWorkers: Int, totalWorkers: Int, tasksCompleted: Int, tasksFailed: Int, averageDurationMs: Double, p99DurationMs: Double, residentMemoryMB: Double, unhealthyReason: String? = nil) {
        self.activeWorkers = activeWorkers
        self.totalWorkers = totalWorkers
        self.tasksCompleted = tasksCompleted
        self.tasksFailed = tasksFailed
        self.averageDurationMs = averageDurationMs
        self.p99DurationMs = p99DurationMs
        self.residentMemoryMB = residentMemoryMB
        self.unhealthyReason = unhealthyReason
    }

    enum CodingKeys: String, CodingKey {
        case activeWorkers = "active_workers", totalWorkers = "total_workers", tasksCompleted = "tasks_completed"
        case tasksFailed = "tasks_failed", averageDurationMs = "average_duration_ms", p99DurationMs = "p99_duration_ms"
        case residentMemoryMB = "resident_memory_mb", unhealthyReason = "unhealthy_reason"
    }
}

/// One pool's metrics (the `metrics` reply): its latest vitals and what the broker knows.
public struct PoolMetrics: Codable, Sendable, Equatable {
    public var poolID: String
    public var name: String
    /// The vitals from the pool's latest heartbeat; `nil` before its first one.
    public var vitals: PoolVitals?
    /// Times the broker restarted the pool's process after it crashed.
    public var restarts: Int
    /// Milliseconds since the broker last heard from the pool.
    public var lastHeartbeatMs: Int

    public init(poolID: String, name: String, vitals: PoolVitals?, restarts: Int, lastHeartbeatMs: Int) {
        self.poolID = poolID
        self.name = name
        self.vitals = vitals
        self.restarts = restarts
        self.lastHeartbeatMs = lastHeartbeatMs
    }

    enum CodingKeys: String, CodingKey {
        case poolID = "pool_id", name, vitals, restarts, lastHeartbeatMs = "last_heartbeat_ms"
    }
}
