import Mahavishnu

/// Arguments several tools share, defined once.
enum CommonArguments {
    static let prompt = ToolArgument.string("prompt", "What the worker acts on (for an echo worker, the text it answers with).", required: true)

    static let timeout = ToolArgument.integer("timeout", "Seconds the task may run before it ends with status timeout.", range: 30...3600, default: 300)

    static let poolSelector = ToolArgument.string(
        "pool_selector", "How the broker picks a pool: least_loaded (lowest in-flight/capacity), round_robin, random, or affinity (the pool named by pool_affinity).",
        choices: PoolSelector.allCases.map(\.rawValue), default: PoolSelector.leastLoaded.rawValue
    )

    static let poolAffinity = ToolArgument.string("pool_affinity", "With pool_selector affinity: the pool's id or name.")

    static let workflowID = ToolArgument.string(
        "workflow_id", "A workflow's id, as dispatch_to_pool returned it.", pattern: "^[A-Za-z0-9._-]{1,128}$", required: true
    )

    /// `priority`, `delay_seconds` and `expires_in_seconds`: the task's schedule, held at the broker.
    static let schedule: [ToolArgument] = [
        .integer("priority", "0 to 9: higher runs first among the tasks waiting for the same pools.", range: TaskSchedule.priorities, default: TaskSchedule.defaultPriority),
        .integer("delay_seconds", "Seconds before the broker dispatches the task.", range: 0...86_400),
        .integer("expires_in_seconds", "Seconds after which the task, if no worker has started it, ends with status expired.", range: 1...86_400),
    ]

    /// The schedule a call asks for.
    static func schedule(_ arguments: ToolArguments) -> ScheduleRequest {
        ScheduleRequest(priority: arguments.int("priority"), expiresIn: arguments.int("expires_in_seconds").map { .seconds($0) },
                        delay: arguments.int("delay_seconds").map { .seconds($0) })
    }

    /// A task with `prompt` and `timeout` from the call.
    static func task(_ arguments: ToolArguments) -> TaskRequest {
        TaskRequest(prompt: arguments.text("prompt"), timeout: Double(arguments.int("timeout") ?? 300))
    }

    /// The selector and affinity of a call; `pool_affinity` goes with `affinity` and only with it.
    static func route(_ arguments: ToolArguments) throws(ToolFailure) -> (PoolSelector, String?) {
        let selector = PoolSelector(rawValue: arguments.text("pool_selector")) ?? .leastLoaded
        let affinity = arguments.string("pool_affinity")
        if selector == .affinity, affinity == nil {
            throw ToolFailure(.invalidArgument, "missing argument 'pool_affinity': pool_selector affinity needs the pool's id or name", argument: "pool_affinity")
        }
        if selector != .affinity, affinity != nil {
            throw ToolFailure(.invalidArgument, "invalid argument 'pool_affinity': it applies only with pool_selector affinity (got \(selector.rawValue))", argument: "pool_affinity")
        }
        return (selector, affinity)
    }
}
