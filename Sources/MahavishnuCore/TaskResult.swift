/// The state a task ended in.
public enum TaskStatus: String, Codable, Sendable, CaseIterable {
    case completed, failed, timeout
    /// Cancelled (`cancel`) before it ran; no pool ran it.
    case cancelled
    /// Its deadline passed while it waited; no pool ran it.
    case expired
}

/// One task's final result, as a pool reports it (the body of a `RESULT`).
public struct TaskResult: Codable, Sendable, Equatable {
    /// The id the producer chose.
    public var taskID: String
    /// The pool that ran the task.
    public var poolID: String
    /// The worker slot inside that pool.
    public var workerID: String
    public var status: TaskStatus
    /// What the worker produced (for `echo`, the prompt).
    public var output: String
    /// Why the task failed or timed out; `nil` when it completed.
    public var error: String?
    /// Seconds the worker spent on the task.
    public var duration: Double
    /// The program's exit status, for `exec` tasks whose program exited by itself; `nil` otherwise.
    public var exitCode: Int?
    /// What the program wrote to standard error (`exec` tasks), up to the worker type's output cap.
    public var stderr: String?
    /// True when `output` was cut at the worker type's output cap; `nil` when it was not.
    public var outputTruncated: Bool?
    /// True when `stderr` was cut at the worker type's output cap; `nil` when it was not.
    public var stderrTruncated: Bool?
    /// How many times the broker dispatched the task (1 unless a pool died mid-task).
    ///
    /// The broker sends it as a frame of `RESULT`; a pool's result body leaves it out.
    public var attempts: Int?

    public init(
        taskID: String, poolID: String, workerID: String, status: TaskStatus,
        output: String, error: String? = nil, duration: Double, attempts: Int? = nil,
        exitCode: Int? = nil, stderr: String? = nil, outputTruncated: Bool? = nil, stderrTruncated: Bool? = nil
    ) {
        self.taskID = taskID
        self.poolID = poolID
        self.workerID = workerID
        self.status = status
        self.output = output
        self.error = error
        self.duration = duration
        self.attempts = attempts
        self.exitCode = exitCode
        self.stderr = stderr
        self.outputTruncated = outputTruncated
        self.stderrTruncated = stderrTruncated
    }

    enum CodingKeys: String, CodingKey {
        case taskID = "task_id", poolID = "pool_id", workerID = "worker_id"
        case status, output, error, duration, attempts
        case exitCode = "exit_code", stderr, outputTruncated = "output_truncated", stderrTruncated = "stderr_truncated"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        taskID = try container.decode(String.self, forKey: .taskID)
        poolID = try container.decode(String.self, forKey: .poolID)
        workerID = try container.decode(String.self, forKey: .workerID)
        status = try container.decode(TaskStatus.self, forKey: .status)
        output = try container.decodeIfPresent(String.self, forKey: .output) ?? ""
        error = try container.decodeIfPresent(String.self, forKey: .error)
        duration = try container.decodeIfPresent(Double.self, forKey: .duration) ?? 0
        attempts = try container.decodeIfPresent(Int.self, forKey: .attempts)
        exitCode = try container.decodeIfPresent(Int.self, forKey: .exitCode)
        stderr = try container.decodeIfPresent(String.self, forKey: .stderr)
        outputTruncated = try container.decodeIfPresent(Bool.self, forKey: .outputTruncated)
        stderrTruncated = try container.decodeIfPresent(Bool.self, forKey: .stderrTruncated)
    }
}

/// One partial output of a streaming task, before its result (`PARTIAL`): number `sequence` of
/// dispatch `attempt`. A task that runs again starts over with the next attempt, at sequence 0.
public struct TaskPartial: Sendable, Equatable {
    public let attempt: Int
    public let sequence: Int
    /// What the worker sent, as it sent it.
    public let body: [UInt8]

    public init(attempt: Int, sequence: Int, body: [UInt8]) {
        self.attempt = attempt
        self.sequence = sequence
        self.body = body
    }

    /// The body as text.
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// What a streaming task yields: its partial outputs as they come, then its result.
public enum TaskEvent: Sendable, Equatable {
    case partial(TaskPartial)
    case result(TaskResult)
}
