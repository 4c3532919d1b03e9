import Foundation
import Logging

/// A pool's id, as the broker assigns it (`pool_…`).
public typealias PoolID = String

/// The pool API: spawn pools, run and route tasks, watch health, close pools.
///
/// A thin client of the broker: every pool lives in the broker's registry and its own process,
/// so a pool spawned here is visible to the CLI and to every other `PoolManager`. Many calls
/// may be in flight at once; none serialises the others.
public final class PoolManager: Sendable {
    /// The broker frontend this manager talks to.
    public var broker: String { client.endpoint }
    /// The selector `routeTask` uses when none is given (`pool_routing_strategy`).
    public let defaultSelector: PoolSelector
    /// The message bus given at creation, for following what the pools do (`pool_created`,
    /// `task_completed`, …); the caller owns it and closes it.
    public let messageBus: MessageBus?
    private let client: BrokerClient
    /// How long administrative calls wait for the broker before reporting it unreachable.
    private let controlTimeout: Duration

    /// Connects to the broker at `broker` (default: `broker_frontend` of `settings`).
    ///
    /// Throws `PoolsDisabledError` when `pools_enabled` is false in `settings`.
    ///
    /// - Parameters:
    ///   - messageBus: the bus this manager's callers publish and subscribe on, if any.
    ///   - curve: CURVE keys for a broker that requires them; default: the keys in
    ///     `client_keys_dir` from `settings`, if set.
    public init(
        broker: String? = nil, settings: Settings = Settings(), messageBus: MessageBus? = nil, curve: ClientCurveKeys? = nil,
        controlTimeout: Duration = .seconds(5), logger: Logger = Logger(label: "mahavishnu.pools")
    ) throws {
        guard settings.poolsEnabled else { throw PoolsDisabledError(settingsFile: settings.origin.file) }
        self.messageBus = messageBus
        client = try BrokerClient(settings: settings, broker: broker, curve: curve, logger: logger)
        defaultSelector = settings.poolRoutingStrategy
        self.controlTimeout = controlTimeout
    }

    /// Starts a pool process through the broker and returns its id once it has registered.
    ///
    /// - Parameters:
    ///   - poolType: the pool type; overrides `config.poolType` (the guide passes it twice).
    ///   - timeout: how long to wait for the pool to register; 30 s covers a cold start.
    public func spawnPool(_ poolType: String, config: PoolConfig, timeout: Duration = .seconds(60)) async throws -> PoolID {
        var request = config
        request.poolType = poolType
        return try await client.control(.spawn, arguments: JSONCoding.encode(request), as: PoolIdentity.self, timeout: timeout).poolID
    }

    /// Runs `task` on the pool `poolID` (an id or name); waits for that pool's capacity if it is busy.
    public func executeOnPool(_ poolID: PoolID, task: TaskRequest, schedule: ScheduleRequest = ScheduleRequest(), timeout: Duration? = nil) async throws -> TaskResult {
        try await client.submit(task, selector: .affinity, affinity: poolID, schedule: schedule, timeout: timeout)
    }

    /// Runs `task` on the pool `selector` picks; `affinity` names the pool for `.affinity`.
    public func routeTask(_ task: TaskRequest, selector: PoolSelector? = nil, affinity: String? = nil, schedule: ScheduleRequest = ScheduleRequest(),
                          timeout: Duration? = nil) async throws -> TaskResult {
        try await client.submit(task, selector: selector ?? defaultSelector, affinity: affinity, schedule: schedule, timeout: timeout)
    }

    /// Runs a task object given as raw JSON, forwarded byte for byte (extra fields reach the worker).
    public func run(taskJSON: [UInt8], taskID: String = UUID().uuidString, selector: PoolSelector? = nil, affinity: String? = nil,
                    schedule: ScheduleRequest = ScheduleRequest(), timeout: Duration? = nil) async throws -> TaskResult {
        try await client.submit(body: taskJSON, taskID: taskID, selector: selector ?? defaultSelector, affinity: affinity, schedule: schedule, timeout: timeout)
    }

    /// Runs a task object given as raw JSON and streams it: its partial outputs as its worker sends
    /// them (a retry starts over, with the next attempt), then its result.
    public func stream(taskJSON: [UInt8], taskID: String = UUID().uuidString, selector: PoolSelector? = nil, affinity: String? = nil,
                       schedule: ScheduleRequest = ScheduleRequest(), timeout: Duration? = nil) -> AsyncThrowingStream<TaskEvent, any Error> {
        client.stream(body: taskJSON, taskID: taskID, selector: selector ?? defaultSelector, affinity: affinity, schedule: schedule, timeout: timeout)
    }

    /// Cancels the task `taskID` if it has not started (waiting, or delayed): its producer gets
    /// a final result with status `cancelled`, and it never runs, not after a broker restart.
    public func cancel(_ taskID: String) async throws -> CancelReply {
        try await client.cancel(taskID)
    }

    /// A handle on one pool (by id or name) for scaling, batches and metrics.
    public func pool(_ poolID: PoolID) -> Pool {
        Pool(id: poolID, client: client, controlTimeout: controlTimeout)
    }

    /// The live pools.
    public func listPools() async throws -> [PoolSummary] {
        try await poolList().pools
    }

    /// The live pools, with the answering broker's place in its pair.
    public func poolList() async throws -> PoolList {
        try await client.control(.list, as: PoolList.self, timeout: controlTimeout)
    }

    /// The deployment's health, from the broker's observations of each pool.
    public func healthCheck() async throws -> HealthReport {
        try await client.control(.health, as: HealthReport.self, timeout: controlTimeout)
    }

    /// Where the task `taskID` is: queued, running, finished (with its result) or unknown;
    /// with `waitUpTo`, waits that long for a queued or running task to finish.
    public func task(_ taskID: String, waitUpTo wait: Duration = .zero) async throws -> TaskReport {
        try await client.task(taskID, waitUpTo: wait, timeout: controlTimeout)
    }

    /// Drains the pool (its running tasks finish) and stops it; returns once it has stopped.
    public func closePool(_ poolID: PoolID, timeout: Duration = .seconds(120)) async throws {
        _ = try await client.control(.close, arguments: JSONCoding.encode(PoolReference(pool: poolID)), as: PoolIdentity.self, timeout: timeout)
    }

    /// Drains and stops every pool but the workers (the `WorkerManager` owns those); returns the
    /// ids of the pools it closed.
    @discardableResult
    public func closeAll(timeout: Duration = .seconds(120)) async throws -> [PoolID] {
        try await client.control(.closeAll, as: ClosedPools.self, timeout: timeout).closed.map(\.poolID)
    }

    /// Closes the connection to the broker (the pools keep running).
    public func close() {
        client.close()
    }
}

/// Pools are switched off in settings.
public struct PoolsDisabledError: Error, CustomStringConvertible, Sendable {
    /// The settings file in use, if any.
    public var settingsFile: String?

    public init(settingsFile: String? = nil) { self.settingsFile = settingsFile }

    public var description: String { FeatureSwitch.pools.disabledMessage(settingsFile: settingsFile) }
}
