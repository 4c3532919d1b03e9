/// The payload of `task_delegate`: run `task` and send the result to `replyTo` as `result_share`.
public struct TaskDelegateRequest: Codable, Sendable, Equatable {
    /// Chosen by the asker; the `result_share` repeats it. It is also the delegated task's id at the broker.
    public var delegationID: String
    /// The bus id the `result_share` is targeted at (the asking pool's id, or a client's id).
    public var replyTo: String
    /// The task to run, exactly as the receiving pool submits it to the broker.
    public var task: TaskRequest

    public init(delegationID: String, replyTo: String, task: TaskRequest) {
        self.delegationID = delegationID
        self.replyTo = replyTo
        self.task = task
    }

    enum CodingKeys: String, CodingKey {
        case delegationID = "delegation_id", replyTo = "reply_to", task
    }
}

/// The payload of `result_share`: how a delegated task ended.
public struct ResultShare: Codable, Sendable, Equatable {
    /// As in the `task_delegate` it answers.
    public var delegationID: String
    /// The delegated task's result, when the receiving pool could run it.
    public var result: TaskResult?
    /// Why it could not be run (the broker refused it, say); `nil` when `result` is set.
    public var error: String?

    public init(delegationID: String, result: TaskResult? = nil, error: String? = nil) {
        self.delegationID = delegationID
        self.result = result
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case delegationID = "delegation_id", result, error
    }
}

/// Runs a task on another pool on behalf of the pool that received it (`task_delegate`, answered
/// by `result_share`). A pool process is given one when it is connected to the bus.
public protocol TaskDelegating: Sendable {
    /// Runs `task` on the pool named `pool` (a name or id) and calls `completion` once, from any thread.
    func delegate(_ task: TaskRequest, to pool: String, completion: @escaping @Sendable (Result<TaskResult, any Error>) -> Void)
}
