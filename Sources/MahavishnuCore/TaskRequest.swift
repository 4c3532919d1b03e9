import Foundation

/// The task object a producer sends as the body of a `TASK` (JSON); the broker never decodes it.
///
/// Unknown fields are allowed and ignored by the built-in workers.
public struct TaskRequest: Codable, Sendable, Equatable {
    /// The text the worker acts on.
    public var prompt: String
    /// `echo` workers wait this many milliseconds before answering (tests and benchmarks).
    public var sleepMilliseconds: Int?
    /// Seconds the task may run before it is ended as `timeout`.
    public var timeout: Double?
    /// `echo` workers kill their whole pool process with this task: a test aid for failure handling.
    public var crash: Bool?
    /// The pool (name or id) this task is handed to over the bus: the receiving pool delegates it
    /// there and answers with that pool's result (`task_delegate` and `result_share`).
    public var delegateTo: String?

    public init(prompt: String, sleepMilliseconds: Int? = nil, timeout: Double? = nil, crash: Bool? = nil, delegateTo: String? = nil) {
        self.prompt = prompt
        self.sleepMilliseconds = sleepMilliseconds
        self.timeout = timeout
        self.crash = crash
        self.delegateTo = delegateTo
    }

    enum CodingKeys: String, CodingKey {
        case prompt, sleepMilliseconds = "sleep_ms", timeout, crash, delegateTo = "delegate_to"
    }
}
