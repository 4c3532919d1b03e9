import Foundation
import MahavishnuCore

/// How a worker slot ran one task.
public struct ExecutionOutcome: Sendable {
    public var status: TaskStatus
    public var output: String
    public var error: String?

    public init(status: TaskStatus, output: String, error: String? = nil) {
        self.status = status
        self.output = output
        self.error = error
    }
}

/// Runs tasks for a pool's workers. Each call is one task on one worker slot.
///
/// - Important: `run` is called on the pool's socket thread and must not block it: long work
///   goes elsewhere and reports through `completion`, which may be called from any thread.
public protocol Executor: Sendable {
    func run(_ task: TaskRequest, completion: @escaping @Sendable (ExecutionOutcome) -> Void)
}

/// The worker types this build defines.
public enum WorkerTypes {
    public static let builtIn = ["echo"]

    /// The executor for a worker type validated by `PoolConfiguration.validate()`.
    static func executor(for workerType: String) -> any Executor {
        switch workerType {
        default: EchoExecutor()
        }
    }
}

/// The `echo` worker: answers with the task's prompt, after `sleep_ms` milliseconds if given.
/// A task with `crash: true` kills the pool process, as a crashing worker would.
struct EchoExecutor: Executor {
    func run(_ task: TaskRequest, completion: @escaping @Sendable (ExecutionOutcome) -> Void) {
        if task.crash == true {
            FileHandle.standardError.write(Data("echo worker: crashing the pool process as the task asked (crash: true)\n".utf8))
            exit(70)
        }
        let outcome = ExecutionOutcome(status: .completed, output: task.prompt)
        guard let delay = task.sleepMilliseconds, delay > 0 else { return completion(outcome) }
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(delay)) { completion(outcome) }
    }
}
