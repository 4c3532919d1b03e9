/// The arguments of `ControlCommand.task`: which task to report on.
public struct TaskQuery: Codable, Sendable, Equatable {
    public var taskID: String

    public init(taskID: String) { self.taskID = taskID }

    enum CodingKeys: String, CodingKey { case taskID = "task_id" }
}

/// The reply to `ControlCommand.cancel`: whether the task was cancelled (or is being, on its
/// pool), and if not, why.
public struct CancelReply: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        /// It had not run: its producer got a final result with status `cancelled`.
        case cancelled
        /// It had already finished; its result stands.
        case finished
        /// A pool is running it; the pool was told to end it, and its producer gets the pool's
        /// `cancelled` result.
        case cancelling
        /// The broker knows no such task (never seen, or finished longer ago than the result cache reaches).
        case unknown
    }

    public var taskID: String
    public var cancelled: Bool
    public var state: State
    /// What happened, in a sentence.
    public var message: String

    public init(taskID: String, cancelled: Bool, state: State, message: String) {
        self.taskID = taskID
        self.cancelled = cancelled
        self.state = state
        self.message = message
    }

    enum CodingKeys: String, CodingKey { case taskID = "task_id", cancelled, state, message }
}

/// The reply to `ControlCommand.task`: where a task is in its life, as the broker knows it now.
public struct TaskReport: Codable, Sendable, Equatable {
    /// Where the task is.
    public enum State: String, Codable, Sendable {
        /// Accepted, waiting for a pool's free slot.
        case queued
        /// Dispatched to `pool_id`, no result yet.
        case running
        /// Finished with status `completed`; `result` holds it.
        case completed
        /// Finished with any other status (`failed`, `timeout`, …); `result` holds it.
        case failed
        /// Not waiting, not running and not among the recent results (never seen, or finished
        /// longer ago than the result cache reaches).
        case unknown
    }

    public var taskID: String
    public var state: State
    /// Times the broker has dispatched it.
    public var attempts: Int
    /// The pool running it (`running`) or that ran it (`completed`, `failed`).
    public var poolID: String?
    /// The final result, as the pool wrote it (`completed`, `failed`).
    public var result: TaskResult?

    enum CodingKeys: String, CodingKey {
        case taskID = "task_id", state, attempts, poolID = "pool_id", result
    }

    /// The task has finished: `completed` or `failed`, with its result.
    public var isFinal: Bool { state == .completed || state == .failed }
}

extension TaskReport {
    /// The reply's JSON, with `resultJSON` (the result as the pool wrote it) embedded as is, so
    /// the broker decodes no result to report it. Keys sorted, as `JSONCoding` writes them.
    public static func json(taskID: String, state: State, attempts: Int, poolID: String?, resultJSON: [UInt8]?) -> [UInt8] {
        var writer = JSONObjectWriter(capacity: 96 + taskID.utf8.count + (resultJSON?.count ?? 0))
        writer.field(#""attempts":"#, number: String(attempts))
        if let poolID { writer.field(#""pool_id":"#, string: poolID) }
        if let resultJSON { writer.field(#""result":"#, json: resultJSON) }
        writer.field(#""state":"#, string: state.rawValue)
        writer.field(#""task_id":"#, string: taskID)
        return writer.finish()
    }
}
