/// One pool, for the operations the guide reaches through `pool_mgr._pools[pool_id]`:
/// scaling, batches and metrics. Get one with `PoolManager.pool(_:)`.
public struct Pool: Sendable {
    /// The pool's id (or name) as given.
    public let id: PoolID
    let client: BrokerClient
    let controlTimeout: Duration

    /// Resizes the pool to `targetWorkers`, which must lie within its `[min, max]`.
    ///
    /// Growing adds idle workers; shrinking removes idle ones and lets busy ones finish first.
    @discardableResult
    public func scale(targetWorkers: Int) async throws -> PoolSummary {
        try await client.control(.scale, arguments: JSONCoding.encode(ScaleRequest(pool: id, targetWorkers: targetWorkers)), as: PoolSummary.self, timeout: controlTimeout)
    }

    /// Runs every task on this pool, spread over its workers, and returns exactly one result per
    /// task, in the order given: a task the broker refused (the pool left, say) is a `failed`
    /// result whose `error` says why. At most `window` tasks are in flight at once.
    ///
    /// - Parameter progress: called with the number of tasks finished so far, after each one.
    public func executeBatch(
        _ tasks: [TaskRequest], window: Int = 256, timeout: Duration? = nil,
        progress: @Sendable (Int) -> Void = { _ in }
    ) async throws -> [TaskResult] {
        let bodies = try tasks.map { try JSONCoding.encode($0) }
        return try await executeBatch(taskJSON: bodies, window: window, timeout: timeout, progress: progress)
    }

    /// `executeBatch` for task objects given as raw JSON (forwarded byte for byte).
    public func executeBatch(
        taskJSON bodies: [[UInt8]], window: Int = 256, timeout: Duration? = nil,
        progress: @Sendable (Int) -> Void = { _ in }
    ) async throws -> [TaskResult] {
        let (client, id) = (client, id)
        return await TaskBatch.run(count: bodies.count, window: window, failedPoolID: { _ in id }, progress: progress) { index, taskID in
            try await client.submit(body: bodies[index], taskID: taskID, selector: .affinity, affinity: id, timeout: timeout)
        }
    }

    /// The pool's metrics: workers, tasks completed and failed, durations, memory, restarts.
    public func metrics() async throws -> PoolMetrics {
        try await client.control(.metrics, arguments: JSONCoding.encode(PoolReference(pool: id)), as: PoolMetrics.self, timeout: controlTimeout)
    }
}
