import Foundation
import MahavishnuCore

/// How a worker slot ran one task.
public struct ExecutionOutcome: Sendable {
    public var status: TaskStatus
    public var output: String
    public var error: String?
    /// The program's exit status, when it exited by itself (`exec`).
    public var exitCode: Int?
    /// What the program wrote to standard error (`exec`).
    public var stderr: String?
    /// `output` was cut at the worker type's output cap.
    public var outputTruncated = false
    /// `stderr` was cut at the worker type's output cap.
    public var stderrTruncated = false
    /// The worker died while running the task: the broker should run it again (`error` says why).
    public var workerLost = false

    public init(status: TaskStatus, output: String, error: String? = nil) {
        self.status = status
        self.output = output
        self.error = error
    }

    /// A failed task that produced nothing, with the reason.
    package static func failed(_ reason: String) -> ExecutionOutcome {
        ExecutionOutcome(status: .failed, output: "", error: reason)
    }

    /// The worker running the task died; the broker decides whether the task runs again.
    package static func lost(_ reason: String) -> ExecutionOutcome {
        var outcome = failed(reason)
        outcome.workerLost = true
        return outcome
    }

    /// The broker cancelled the task (`CANCEL`); `how` says how it was ended.
    package static func cancelled(_ how: String) -> ExecutionOutcome {
        ExecutionOutcome(status: .cancelled, output: "", error: "the task was cancelled: \(how)")
    }

    /// A task ended at its deadline.
    package static func timedOut(after timeout: Duration, detail: String = "") -> ExecutionOutcome {
        ExecutionOutcome(status: .timeout, output: "", error: "the task ran past its timeout of \(String(format: "%g", timeout.seconds)) s" + detail)
    }
}

/// Why a task could not be started (its program would not start, it cannot be encoded); the
/// task ends with `outcome`.
struct ExecutionFailure: Error {
    let outcome: ExecutionOutcome
}

/// What an executor posts to the loop that runs its programs: a task to start, or a cancel.
enum ExecutorCommand<Job: Sendable>: Sendable {
    case run(Job)
    /// End the program running this task, if one is.
    case cancel(taskID: String)
    /// The broker granted this task's partial outputs more credit: read its program again.
    case resume(taskID: String)
}

/// One task handed to an executor: what to run, on which worker slot, for how long at most.
public struct TaskAssignment: Sendable {
    /// The producer's task id.
    public let taskID: String
    /// The decoded task.
    public let task: TaskRequest
    /// The task object exactly as the producer sent it (fields the pool does not know included).
    public let body: [UInt8]
    /// The worker slot running it, `0..<workers`.
    public let worker: Int
    /// How long it may run: its own `timeout`, else the pool's default (`worker_timeout_seconds`).
    public let timeout: Duration
    /// Where the executor sends the task's partial outputs, before its completion (`PARTIAL`);
    /// `nil` when its producer did not ask for them, and they are dropped.
    public var partials: PartialOutlet?

    /// Timeouts longer than this many seconds (about 31 years) are shortened to it.
    static let longestTimeout = 1e9

    /// Decodes `body`; throws `InvalidTaskError` when it is not a task object or its timeout is not usable.
    public init(taskID: String, body: [UInt8], worker: Int, defaultTimeout: Double) throws(InvalidTaskError) {
        let task: TaskRequest
        do {
            task = try TaskRequest.decode(body: body)
        } catch {
            throw InvalidTaskError(description: "invalid task body: \(error.message)")
        }
        let seconds = task.timeout ?? defaultTimeout
        guard seconds > 0, seconds.isFinite else {
            throw InvalidTaskError(description: "invalid task: 'timeout' must be a number of seconds greater than 0 (got \(seconds))")
        }
        self.taskID = taskID
        self.task = task
        self.body = body
        self.worker = worker
        timeout = .milliseconds(Int64((min(seconds, Self.longestTimeout) * 1000).rounded(.up)))
    }
}

/// A task body a pool cannot run; the task fails with this description.
public struct InvalidTaskError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Runs tasks for a pool's workers. Each call is one task on one worker slot; a slot runs one
/// task at a time. `completion` is called exactly once per task, also when the task times out.
///
/// - Important: `run` is called on the pool's socket thread and must not block it: long work
///   goes elsewhere and reports through `completion`, which may be called from any thread.
public protocol Executor: Sendable {
    /// Starts `assignment`; reports its outcome through `completion`.
    func run(_ assignment: TaskAssignment, completion: @escaping @Sendable (ExecutionOutcome) -> Void)
    /// Ends every running task and child process (SIGTERM, then SIGKILL after the grace period)
    /// and returns once they are gone. Called once, when the pool stops.
    func shutdown()
    /// Why it cannot run tasks now (an outside service it forwards them to is unreachable), or
    /// `nil` when it can. The pool announces no capacity while it cannot. Default: always `nil`.
    var unavailableReason: String? { get }
    /// The pool now has `workers` worker slots (it was scaled). Default: nothing to do.
    func resized(to workers: Int)
    /// Ends the running task `taskID` as its timeout would (SIGTERM to its process group, SIGKILL
    /// after the grace period); its completion reports `cancelled`. Default: nothing to end (the
    /// task finishes as it would have).
    func cancel(_ taskID: String)
}

extension Executor {
    public var unavailableReason: String? { nil }
    public func resized(to workers: Int) {}
    public func cancel(_ taskID: String) {}
}

extension WorkerTypeDefinition {
    /// The executor that runs this worker type's tasks.
    func makeExecutor() -> any Executor {
        switch executor {
        case .echo: EchoExecutor()
        case .exec: ExecExecutor(definition: self)
        case .process: ProcessExecutor(definition: self)
        }
    }
}

extension TaskResult {
    /// The result a pool reports for an outcome of its worker `workerID`.
    init(_ outcome: ExecutionOutcome, taskID: String, poolID: String, workerID: String, duration: Double) {
        self.init(
            taskID: taskID, poolID: poolID, workerID: workerID, status: outcome.status,
            output: outcome.output, error: outcome.error, duration: duration,
            exitCode: outcome.exitCode, stderr: outcome.stderr,
            outputTruncated: outcome.outputTruncated ? true : nil, stderrTruncated: outcome.stderrTruncated ? true : nil
        )
    }

    /// The same task `failed`, without its output, saying that its result body of `size` bytes
    /// passes the broker's `limit` (`max_result_bytes`).
    func tooLarge(size: Int, limit: Int) -> TaskResult {
        TaskResult(
            taskID: taskID, poolID: poolID, workerID: workerID, status: .failed, output: "",
            error: "result_too_large: the result is \(ByteSize.describe(size)) and the broker takes at most \(ByteSize.describe(limit)) (max_result_bytes); write large outputs to a file and return its path, or raise max_result_bytes",
            duration: duration, exitCode: exitCode
        )
    }
}
