import Mahavishnu

/// The worker tools of the old path, on top of `WorkerManager`: a worker is a one-slot pool in the broker.
enum WorkerTools {
    static func all(_ settings: Settings) -> [ToolDefinition] {
        [spawn(settings), execute, executeBatch, list, close, closeAll, health]
    }

    static let workerID = ToolArgument.string("worker_id", "A worker's id, as worker_spawn returned it.", required: true)

    static func spawn(_ settings: Settings) -> ToolDefinition {
        ToolDefinition(
            "worker_spawn", "Start count workers of worker_type and return their ids once every one has registered (all or nothing).",
            arguments: [
                .string("worker_type", "What the workers run: a worker type defined in the broker's settings.", default: settings.workerDefaultType),
                .integer("count", "How many workers to start.", range: 1...50, default: 1),
            ]
        ) { arguments, context in
            ["worker_ids": try await context.workers().spawnWorkers(workerType: arguments.text("worker_type"), count: arguments.int("count") ?? 1)]
        }
    }

    static let execute = ToolDefinition(
        "worker_execute", "Run a prompt on one worker and return the task's result; waits for the worker if it is busy.",
        arguments: [workerID, CommonArguments.prompt, CommonArguments.timeout]
    ) { arguments, context in
        let workers = try context.workers()
        try await requireLive(arguments.text("worker_id"), workers)
        let task = CommonArguments.task(arguments)
        return try await workers.executeTask(arguments.text("worker_id"), task: task, timeout: .seconds(Int(task.timeout ?? 300) + ToolContext.resultGrace))
    }

    static let executeBatch = ToolDefinition(
        "worker_execute_batch", "Run prompts spread over workers (prompt i on worker i mod count), concurrently; returns one result per prompt, in order.",
        arguments: [
            .strings("worker_ids", "The workers to use.", count: 1...50, required: true),
            .strings("prompts", "The prompts to run.", count: 1...1000, required: true),
            CommonArguments.timeout,
        ]
    ) { arguments, context in
        let workers = try context.workers()
        let ids = arguments.strings("worker_ids") ?? []
        for id in ids { try await requireLive(id, workers) }
        let timeout = arguments.int("timeout") ?? 300
        let tasks = (arguments.strings("prompts") ?? []).map { TaskRequest(prompt: $0, timeout: Double(timeout)) }
        return ["results": try await workers.executeBatch(ids, tasks: tasks, timeout: .seconds(timeout + ToolContext.resultGrace))]
    }

    static let list = ToolDefinition("worker_list", "List the live workers: id, worker type, busy or not, tasks completed, process.") { _, context in
        ["workers": try await context.workers().listWorkers()]
    }

    static let close = ToolDefinition(
        "worker_close", "Let a worker finish its task, then stop it.", arguments: [workerID]
    ) { arguments, context in
        try await context.workers().closeWorker(arguments.text("worker_id"))
        return ["closed": arguments.text("worker_id")]
    }

    static let closeAll = ToolDefinition("worker_close_all", "Close every live worker (pools are left alone); returns the ids it closed.") { _, context in
        ["closed": try await context.workers().closeAll()]
    }

    static let health = ToolDefinition(
        "worker_health", "Each worker's health as the broker observes it (healthy, unhealthy, draining or lost), and overall: unhealthy when no worker is healthy, degraded when some is not."
    ) { _, context in
        let workers = try await context.workers().health()
        let healthy = workers.filter { $0.status == .healthy }.count
        let status: HealthReport.Status = healthy == 0 ? .unhealthy : (healthy < workers.count ? .degraded : .healthy)
        return WorkerHealth(status: status, workers: workers)
    }

    /// Refuses an id that is not a live worker, listing the live ones.
    private static func requireLive(_ id: String, _ workers: WorkerManager) async throws {
        let live = try await workers.listWorkers().map(\.workerID)
        guard live.contains(id) else {
            throw ToolFailure(.noSuchWorker, "no such worker '\(id)'; live workers: \(live.isEmpty ? "none" : live.joined(separator: ", "))", argument: "worker_id")
        }
    }
}

/// What `worker_health` returns.
struct WorkerHealth: Encodable, Sendable {
    /// `unhealthy` when no worker is healthy, `degraded` when some is not, else `healthy`.
    let status: HealthReport.Status
    let workers: [PoolHealth]
}
