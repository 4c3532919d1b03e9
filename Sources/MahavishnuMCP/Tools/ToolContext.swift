import Mahavishnu

/// What tool handlers work with: the client API (each a thin client of the broker), the
/// workflow runner, and the settings.
struct ToolContext: Sendable {
    let settings: Settings
    private let poolManager: Result<PoolManager, ToolFailure>
    private let workerManager: Result<WorkerManager, ToolFailure>
    let workflows: WorkflowRunner
    /// Where a call that asked for progress (a `progressToken`) reports its task's partial
    /// outputs, as they come: a count of them so far and the latest one; `nil` for none.
    var progress: (@Sendable (_ count: Int, _ message: String) async -> Void)?

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
    /// With `progress`, the task streams and each partial output is reported (`[attempt N] text`).
    func run(_ task: TaskRequest, selector: PoolSelector, affinity: String?, schedule: ScheduleRequest = ScheduleRequest()) async throws -> TaskResult {
        let pools = try pools()
        _ = try await pools.listPools()
        let timeout = Duration.seconds(Int(task.timeout ?? 300) + Self.resultGrace) + schedule.startsWithin
        guard let progress else {
            return try await pools.routeTask(task, selector: selector, affinity: affinity, schedule: schedule, timeout: timeout)
        }
        var count = 0
        for try await event in pools.stream(taskJSON: try JSONCoding.encode(task), selector: selector, affinity: affinity, schedule: schedule, timeout: timeout) {
            switch event {
            case .partial(let partial):
                count += 1
                await progress(count, "[attempt \(partial.attempt)] \(partial.text)")
            case .result(let result):
                return result
            }
        }
        throw ToolFailure(.refused, "the broker ended the task's stream without a result")
    }
}
