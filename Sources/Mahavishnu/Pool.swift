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
    /// task, in the order given. At most `window` tasks are in flight at once.
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
        precondition(window > 0, "window must be at least 1")
        var results = [TaskResult?](repeating: nil, count: bodies.count)
        try await withThrowingTaskGroup(of: (Int, TaskResult).self) { group in
            var next = 0
            var finished = 0
            func launch() {
                let index = next, body = bodies[index], client = client, id = id
                next += 1
                group.addTask { (index, try await client.submit(body: body, selector: .affinity, affinity: id, timeout: timeout)) }
            }
            while next < min(window, bodies.count) { launch() }
            for try await (index, result) in group {
                results[index] = result
                finished += 1
                progress(finished)
                if next < bodies.count { launch() }
            }
        }
        return results.map { $0! }
    }

    /// The pool's metrics: workers, tasks completed and failed, durations, memory, restarts.
    public func metrics() async throws -> PoolMetrics {
        try await client.control(.metrics, arguments: JSONCoding.encode(PoolReference(pool: id)), as: PoolMetrics.self, timeout: controlTimeout)
    }
}
