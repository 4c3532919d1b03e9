import Foundation
import Mahavishnu

/// `dispatch_to_pool` and `workflow_result`: a task routed like `pool_route_execute`, answered at
/// once with a workflow id when `async_callback` is true; `task_cancel` for one that has not started.
enum DispatchTools {
    static let dispatch = ToolDefinition(
        "dispatch_to_pool",
        "Route a prompt to a pool. With async_callback false, wait and return the task's result; with async_callback true, return a workflow_id at once and get the result later with workflow_result.",
        arguments: [
            CommonArguments.prompt, CommonArguments.poolSelector, CommonArguments.timeout,
            .boolean("async_callback", "Return a workflow_id at once instead of waiting for the result.", default: false),
            CommonArguments.poolAffinity,
            .string("workflow_id", "With async_callback: the id to give the workflow (default: generated); dispatching an id again returns the existing workflow instead of running the task twice.",
                    pattern: "^[A-Za-z0-9._-]{1,128}$"),
        ] + CommonArguments.schedule
    ) { arguments, context in
        let (selector, affinity) = try CommonArguments.route(arguments)
        let task = CommonArguments.task(arguments)
        let schedule = CommonArguments.schedule(arguments)
        guard arguments.bool("async_callback") == true else {
            if arguments.string("workflow_id") != nil {
                throw ToolFailure(.invalidArgument, "invalid argument 'workflow_id': it applies only with async_callback true", argument: "workflow_id")
            }
            return try await context.run(task, selector: selector, affinity: affinity, schedule: schedule)
        }
        _ = try await context.pools().listPools()
        let id = arguments.string("workflow_id") ?? "wf_" + UUID().uuidString.lowercased()
        return WorkflowReport(try await context.workflows.dispatch(id: id, task: task, selector: selector, affinity: affinity, schedule: schedule))
    }

    static let cancel = ToolDefinition(
        "task_cancel",
        "Cancel a task: a waiting or delayed one ends with status cancelled at once and never runs; a running one is ended by its pool (as at its timeout) and reported cancelled. Says whether it was cancelled, is being cancelled, already finished, or is unknown.",
        arguments: [.string("task_id", "The task's id, as submitted.", pattern: "^.{1,255}$", required: true)]
    ) { arguments, context in
        try await context.pools().cancel(arguments.text("task_id"))
    }

    static let result = ToolDefinition(
        "workflow_result", "A dispatched workflow's status (queued, running, completed or failed) and, once it has one, the task's result.",
        arguments: [CommonArguments.workflowID]
    ) { arguments, context in
        WorkflowReport(try await context.workflows.record(arguments.text("workflow_id")))
    }
}
