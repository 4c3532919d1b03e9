import Foundation
import Logging

/// A worker's id: the pool id of the one-slot pool that is the worker (`pool_…`).
public typealias WorkerID = String

/// The old worker API (the migration guide's "Before" code), on top of pools.
///
/// A worker is a pool of type `worker` with exactly one worker slot, started through the broker:
/// "run on this worker" is affinity to that pool, closing a worker closes it, and workers live
/// in the broker, so those spawned by one `WorkerManager` (or CLI call) serve the next. It talks
/// to the broker directly, so it works with `pools_enabled: false`.
public final class WorkerManager: Sendable {
    /// The pool type of the pools that are workers.
    public static let poolType = PoolConfig.workerPoolType
    /// The most workers that may be alive at once (`max_concurrent_workers`).
    public let maxConcurrent: Int
    /// The worker type `spawnWorkers` uses when none is given (`worker_default_type`).
    public let defaultWorkerType: String
    /// The broker frontend this manager talks to.
    public var broker: String { client.endpoint }
    private let client: BrokerClient
    private let controlTimeout: Duration

    /// Connects to the broker at `broker` (default: `broker_frontend` of `settings`).
    ///
    /// Throws `WorkersDisabledError` when `workers_enabled` is false in `settings`.
    /// - Parameter maxConcurrent: the most live workers; default `max_concurrent_workers`.
    public init(
        maxConcurrent: Int? = nil, broker: String? = nil, settings: Settings = Settings(), curve: ClientCurveKeys? = nil,
        controlTimeout: Duration = .seconds(5), logger: Logger = Logger(label: "mahavishnu.workers")
    ) throws {
        guard settings.workersEnabled else { throw WorkersDisabledError(settingsFile: settings.origin.file) }
        let limit = maxConcurrent ?? settings.maxConcurrentWorkers
        guard limit >= 1 else { throw WorkerError(.invalidArgument, "maxConcurrent must be at least 1 (got \(limit))") }
        self.maxConcurrent = limit
        defaultWorkerType = settings.workerDefaultType
        self.controlTimeout = controlTimeout
        client = try BrokerClient(settings: settings, broker: broker, curve: curve, logger: logger)
    }

    /// Starts `count` workers of `workerType` (default `worker_default_type`) and returns their ids
    /// once every one has registered. All or nothing: if one cannot start, those that did are closed.
    public func spawnWorkers(workerType: String? = nil, count: Int, timeout: Duration = .seconds(60)) async throws -> [WorkerID] {
        guard count >= 1 else { throw WorkerError(.invalidArgument, "count must be at least 1 (got \(count))") }
        let live = try await listWorkers().count
        guard live + count <= maxConcurrent else {
            throw WorkerError(.limitReached, "spawning \(count) more would make \(live + count) workers, more than max_concurrent_workers (\(maxConcurrent)); close some first (closeWorker, `mahavishnu workers close`) or raise max_concurrent_workers")
        }
        let type = workerType ?? defaultWorkerType
        let outcomes = await withTaskGroup(of: Result<WorkerID, any Error>.self) { group in
            for _ in 0..<count {
                group.addTask {
                    do { return .success(try await self.spawnOne(type, timeout: timeout)) } catch { return .failure(error) }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let spawned = outcomes.compactMap { try? $0.get() }
        for case .failure(let error) in outcomes {
            for workerID in spawned { try? await closeWorker(workerID) }
            throw error
        }
        return spawned.sorted()
    }

    private func spawnOne(_ workerType: String, timeout: Duration) async throws -> WorkerID {
        let name = "worker_" + newPoolID().dropFirst("pool_".count)
        let request = PoolConfig(name: name, poolType: Self.poolType, minWorkers: 1, maxWorkers: 1, workerType: workerType)
        return try await client.control(.spawn, arguments: JSONCoding.encode(request), as: PoolIdentity.self, timeout: timeout).poolID
    }

    /// Runs `task` on the worker `workerID`; waits for it if it is busy.
    /// - Parameter timeout: how long to wait for the result; `nil` waits as long as the task runs.
    public func executeTask(_ workerID: WorkerID, task: TaskRequest, timeout: Duration? = nil) async throws -> TaskResult {
        try await client.submit(task, selector: .affinity, affinity: workerID, timeout: timeout)
    }

    /// Runs `tasks` spread over `workerIDs` (task *i* on worker *i* mod count), concurrently.
    ///
    /// Returns exactly one result per task, in the order of `tasks`: a task the broker refused
    /// (its worker closed, say) is a `failed` result whose `error` says why.
    public func executeBatch(_ workerIDs: [WorkerID], tasks: [TaskRequest], timeout: Duration? = nil) async throws -> [TaskResult] {
        guard !workerIDs.isEmpty || tasks.isEmpty else { throw WorkerError(.invalidArgument, "executeBatch needs at least one worker for \(tasks.count) tasks") }
        let client = client
        let worker = { @Sendable (index: Int) in workerIDs[index % workerIDs.count] }
        return await TaskBatch.run(count: tasks.count, window: max(1, tasks.count), failedPoolID: worker) { index, taskID in
            try await client.submit(tasks[index], taskID: taskID, selector: .affinity, affinity: worker(index), timeout: timeout)
        }
    }

    /// The live workers, sorted by id.
    public func listWorkers() async throws -> [WorkerSummary] {
        try await client.control(.list, as: PoolList.self, timeout: controlTimeout).pools
            .filter { $0.type == Self.poolType }
            .map(WorkerSummary.init)
            .sorted { $0.workerID < $1.workerID }
    }

    /// Each live worker's health as the broker observes it (a worker is a pool: `PoolHealth`).
    public func health() async throws -> [PoolHealth] {
        try await client.control(.health, as: HealthReport.self, timeout: controlTimeout).pools
            .filter { $0.type == Self.poolType }
            .sorted { $0.poolID < $1.poolID }
    }

    /// Lets the worker finish its task, then stops it; refuses an id that is not a live worker.
    public func closeWorker(_ workerID: WorkerID, timeout: Duration = .seconds(120)) async throws {
        let workers = try await listWorkers()
        guard workers.contains(where: { $0.workerID == workerID }) else {
            let known = workers.map(\.workerID).joined(separator: ", ")
            throw WorkerError(.noSuchWorker, "no such worker '\(workerID)'; live workers: \(known.isEmpty ? "none" : known)")
        }
        _ = try await client.control(.close, arguments: JSONCoding.encode(PoolReference(pool: workerID)), as: PoolIdentity.self, timeout: timeout)
    }

    /// Closes every live worker (other pools are left alone); returns the ids it closed.
    @discardableResult
    public func closeAll(timeout: Duration = .seconds(120)) async throws -> [WorkerID] {
        let workerIDs = try await listWorkers().map(\.workerID)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for workerID in workerIDs {
                group.addTask {
                    _ = try await self.client.control(.close, arguments: JSONCoding.encode(PoolReference(pool: workerID)), as: PoolIdentity.self, timeout: timeout)
                }
            }
            try await group.waitForAll()
        }
        return workerIDs
    }

    /// Closes the connection to the broker (the workers keep running).
    public func close() {
        client.close()
    }
}

/// One live worker, as the broker sees it.
public struct WorkerSummary: Codable, Sendable, Equatable {
    public var workerID: WorkerID
    public var workerType: String
    /// It is running a task now.
    public var busy: Bool
    /// Tasks it has finished.
    public var tasksCompleted: Int
    /// The pid of its pool process, and the host it runs on.
    public var pid: Int32
    public var host: String

    init(_ pool: PoolSummary) {
        workerID = pool.poolID
        workerType = pool.workerType
        busy = pool.inFlight > 0
        tasksCompleted = pool.tasksCompleted
        pid = pool.pid
        host = pool.host
    }

    enum CodingKeys: String, CodingKey {
        case workerID = "worker_id", workerType = "worker_type", busy, tasksCompleted = "tasks_completed", pid, host
    }
}

/// A `WorkerManager` call that cannot be done; the message says what to do instead.
public struct WorkerError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable { case invalidArgument, limitReached, noSuchWorker }
    public let code: Code
    public let message: String
    public var description: String { message }

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}

/// Workers are switched off in settings.
public struct WorkersDisabledError: Error, CustomStringConvertible, Sendable {
    /// The settings file in use, if any.
    public var settingsFile: String?

    public init(settingsFile: String? = nil) { self.settingsFile = settingsFile }

    public var description: String { FeatureSwitch.workers.disabledMessage(settingsFile: settingsFile) }
}
