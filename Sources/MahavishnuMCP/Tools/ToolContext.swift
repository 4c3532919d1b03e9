import Mahavishnu

/// What tool handlers work with: the client API (each a thin client of the broker), the
/// workflow runner, and the settings.
struct ToolContext: Sendable {
    let settings: Settings
    private let poolManager: Result<PoolManager, ToolFailure>
    private let workerManager: Result<WorkerManager, ToolFailure>
    let workflows: WorkflowRunner

    init(settings: Settings, pools: Result<PoolManager, ToolFailure>, workers: Result<WorkerManager, ToolFailure>, workflows: WorkflowRunner) {
        self.settings = settings
        poolManager = pools
        workerManager = workers
        self.workflows = workflows
    }

    /// The pool API; throws why it is not available (`pools_enabled: false`).
    func pools() throws(ToolFailure) -> PoolManager { try poolManager.get() }

    /// The worker API; throws why it is not available (`workers_enabled: false`).
    func workers() throws(ToolFailure) -> WorkerManager { try workerManager.get() }

    /// Seconds to wait for a task's result beyond its own timeout (queueing, a retry after a pool died).
    static let resultGrace = 60

    /// Runs a task through the broker after checking that the broker answers, so a broker that
    /// is down is reported within the control timeout instead of after the task's timeout.
    func run(_ task: TaskRequest, selector: PoolSelector, affinity: String?, schedule: ScheduleRequest = ScheduleRequest()) async throws -> TaskResult {
        let pools = try pools()
        _ = try await pools.listPools()
        return try await pools.routeTask(task, selector: selector, affinity: affinity, schedule: schedule,
                                         timeout: .seconds(Int(task.timeout ?? 300) + Self.resultGrace) + schedule.startsWithin)
    }
}
