import Mahavishnu

/// The pool tools of the migration guide, on top of `PoolManager` and `Pool`.
enum PoolTools {
    static func all(_ settings: Settings) -> [ToolDefinition] {
        [spawn(settings), execute, routeExecute, list, monitor, scale, close, closeAll, health]
    }

    static func spawn(_ settings: Settings) -> ToolDefinition {
        ToolDefinition(
            "pool_spawn",
            "Start a new pool process through the broker (min_workers workers, growing to max_workers) and return its pool id once it has registered.",
            arguments: [
                .string("pool_type", "mahavishnu runs workers in a local pool process; session-buddy forwards each task to an outside MCP worker service (a delegate).",
                        choices: ["mahavishnu", PoolConfig.delegatedPoolType], default: "mahavishnu"),
                .string("name", "The pool's name, unique among live pools; tasks may name it with pool_affinity.", default: "default"),
                .integer("min_workers", "Workers the pool starts with.", range: 1...100, default: settings.poolDefaultMinWorkers),
                .integer("max_workers", "Most workers the pool may scale to (at least min_workers).", range: 1...100, default: settings.poolDefaultMaxWorkers),
                .string("worker_type", "What each worker runs: a worker type defined in the broker's settings (for session-buddy, the delegate service's worker type).",
                        default: settings.workerDefaultType),
                .boolean("auto_scale", "Let the broker grow and shrink the pool between min_workers and max_workers.", default: false),
                .string("delegate", "For session-buddy: the delegate service, a name under delegates: in the broker's settings (default: the only one defined)."),
            ]
        ) { arguments, context in
            let minimum = arguments.int("min_workers") ?? 1, maximum = arguments.int("max_workers") ?? 10
            guard maximum >= minimum else {
                throw ToolFailure(.invalidArgument, "invalid argument 'max_workers': \(maximum) is less than min_workers (\(minimum))", argument: "max_workers")
            }
            let poolType = arguments.text("pool_type")
            if arguments.string("delegate") != nil, poolType != PoolConfig.delegatedPoolType {
                throw ToolFailure(.invalidArgument, "invalid argument 'delegate': it applies only to pool_type \(PoolConfig.delegatedPoolType)", argument: "delegate")
            }
            let config = PoolConfig(
                name: arguments.text("name"), poolType: poolType, minWorkers: minimum, maxWorkers: maximum,
                workerType: arguments.text("worker_type"), autoScale: arguments.bool("auto_scale") ?? false, delegate: arguments.string("delegate")
            )
            let poolID = try await context.pools().spawnPool(poolType, config: config)
            return SpawnedPool(poolID: poolID, name: config.name, poolType: poolType, minWorkers: minimum, maxWorkers: maximum, workerType: config.workerType)
        }
    }

    static let execute = ToolDefinition(
        "pool_execute", "Run a prompt on one given pool (its id or name) and return the task's result; waits for that pool's capacity if it is busy.",
        arguments: [.string("pool_id", "The pool's id (or name).", required: true), CommonArguments.prompt, CommonArguments.timeout] + CommonArguments.schedule
    ) { arguments, context in
        try await context.run(CommonArguments.task(arguments), selector: .affinity, affinity: arguments.text("pool_id"), schedule: CommonArguments.schedule(arguments))
    }

    static let routeExecute = ToolDefinition(
        "pool_route_execute", "Run a prompt on the pool a selector picks and return the task's result, which names the pool and worker that ran it.",
        arguments: [CommonArguments.prompt, CommonArguments.poolSelector, CommonArguments.timeout, CommonArguments.poolAffinity] + CommonArguments.schedule
    ) { arguments, context in
        let (selector, affinity) = try CommonArguments.route(arguments)
        return try await context.run(CommonArguments.task(arguments), selector: selector, affinity: affinity, schedule: CommonArguments.schedule(arguments))
    }

    static let list = ToolDefinition("pool_list", "List the live pools with their workers, load and process.") { _, context in
        ["pools": try await context.pools().listPools()]
    }

    static let monitor = ToolDefinition(
        "pool_monitor", "Per-pool metrics: active and total workers, tasks completed and failed, average and p99 duration, memory, restarts.",
        arguments: [.strings("pool_ids", "The pools to report (ids or names); default: every live pool.", count: 1...100)]
    ) { arguments, context in
        let pools = try context.pools()
        var ids = arguments.strings("pool_ids") ?? []
        if ids.isEmpty { ids = try await pools.listPools().map(\.poolID) }
        var metrics: [PoolMetrics] = []
        for id in ids { metrics.append(try await pools.pool(id).metrics()) }
        return ["pools": metrics]
    }

    static let scale = ToolDefinition(
        "pool_scale", "Resize a pool to target_workers, within its [min_workers, max_workers]; busy workers finish their task first.",
        arguments: [.string("pool_id", "The pool's id (or name).", required: true), .integer("target_workers", "The number of workers wanted.", range: 1...100, required: true)]
    ) { arguments, context in
        try await context.pools().pool(arguments.text("pool_id")).scale(targetWorkers: arguments.int("target_workers") ?? 1)
    }

    static let close = ToolDefinition(
        "pool_close", "Drain a pool (its running tasks finish) and stop its process; returns once it has stopped.",
        arguments: [.string("pool_id", "The pool's id (or name).", required: true)]
    ) { arguments, context in
        try await context.pools().closePool(arguments.text("pool_id"))
        return ["closed": arguments.text("pool_id")]
    }

    static let closeAll = ToolDefinition("pool_close_all", "Drain and stop every pool; returns the ids it closed.") { _, context in
        ["closed": try await context.pools().closeAll()]
    }

    static let health = ToolDefinition(
        "pool_health", "The deployment's health as the broker observes it: healthy, degraded or unhealthy overall, and each pool's status (with the reason when unhealthy)."
    ) { _, context in
        try await context.pools().healthCheck()
    }
}

/// What `pool_spawn` returns.
struct SpawnedPool: Encodable, Sendable {
    let poolID: String
    let name: String
    let poolType: String
    let minWorkers: Int
    let maxWorkers: Int
    let workerType: String

    enum CodingKeys: String, CodingKey {
        case poolID = "pool_id", name, poolType = "pool_type", minWorkers = "min_workers", maxWorkers = "max_workers", workerType = "worker_type"
    }
}
