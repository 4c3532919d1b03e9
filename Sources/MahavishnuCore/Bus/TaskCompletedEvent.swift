import Foundation

/// The payload of `task_completed`: a pool finished a task. The memory store keeps these.
public struct TaskCompletedEvent: Codable, Sendable, Equatable {
    public var taskID: String
    public var poolID: String
    /// The pool's name, so searches can name pools as people do.
    public var poolName: String
    public var workerID: String
    public var status: TaskStatus
    /// Why it failed or timed out; `nil` when it completed.
    public var error: String?
    /// Seconds the worker spent on it.
    public var duration: Double
    /// The task's prompt (empty when the task body was unreadable).
    public var prompt: String
    public var output: String
    /// When the worker started, in seconds since 1970.
    public var startedAt: Double
    /// When the pool sent the result, in seconds since 1970.
    public var completedAt: Double

    /// The event for `result`, finished now by pool `poolName` on a task whose prompt was `prompt`.
    public init(result: TaskResult, poolName: String, prompt: String, completedAt: Date = Date()) {
        taskID = result.taskID
        poolID = result.poolID
        self.poolName = poolName
        workerID = result.workerID
        status = result.status
        error = result.error
        duration = result.duration
        self.prompt = prompt
        output = result.output
        self.completedAt = completedAt.timeIntervalSince1970
        startedAt = self.completedAt - result.duration
    }

    enum CodingKeys: String, CodingKey {
        case taskID = "task_id", poolID = "pool_id", poolName = "pool_name", workerID = "worker_id"
        case status, error, duration, prompt, output, startedAt = "started_at", completedAt = "completed_at"
    }
}
