import MahavishnuCore

/// Runs a task on the pool's own workers, unless it names `delegate_to`: then it is handed to
/// that pool through `delegation`, and its result becomes this task's outcome.
///
/// The worker slot stays busy until the delegated result is back, as for any task that waits.
struct DelegatingExecutor: Executor {
    let local: any Executor
    let delegation: (any TaskDelegating)?

    func run(_ assignment: TaskAssignment, completion: @escaping @Sendable (ExecutionOutcome) -> Void) {
        let task = assignment.task
        guard let target = task.delegateTo else { return local.run(assignment, completion: completion) }
        guard let delegation else {
            return completion(ExecutionOutcome(status: .failed, output: "", error: "cannot delegate to pool '\(target)': this pool cannot delegate (it has no bus connection, or it runs under CURVE, where a pool's key may not submit tasks)"))
        }
        var forwarded = task
        forwarded.delegateTo = nil
        delegation.delegate(forwarded, to: target) { result in
            switch result {
            case .success(let delegated):
                completion(ExecutionOutcome(status: delegated.status, output: delegated.output, error: delegated.error.map { "pool \(delegated.poolID): \($0)" }))
            case .failure(let error):
                completion(ExecutionOutcome(status: .failed, output: "", error: "cannot delegate to pool '\(target)': \(error)"))
            }
        }
    }

    func shutdown() { local.shutdown() }

    var unavailableReason: String? { local.unavailableReason }

    func resized(to workers: Int) { local.resized(to: workers) }

    func cancel(_ taskID: String) { local.cancel(taskID) }
}
