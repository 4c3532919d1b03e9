import Foundation

/// The `echo` worker: answers with the task's prompt, after `sleep_ms` milliseconds if given.
///
/// A task whose `sleep_ms` is longer than its timeout ends `timeout` at its deadline. A task with
/// `crash: true` kills the pool process, as a crashing worker would (to test failure handling).
struct EchoExecutor: Executor {
    func run(_ assignment: TaskAssignment, completion: @escaping @Sendable (ExecutionOutcome) -> Void) {
        if assignment.task.crash == true {
            FileHandle.standardError.write(Data("echo worker: crashing the pool process as the task asked (crash: true)\n".utf8))
            exit(70)
        }
        let outcome = ExecutionOutcome(status: .completed, output: assignment.task.prompt)
        guard let delay = assignment.task.sleepMilliseconds, delay > 0 else { return completion(outcome) }
        if .milliseconds(delay) > assignment.timeout {
            let timeout = assignment.timeout
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(timeout.seconds * 1000))) {
                completion(.timedOut(after: timeout))
            }
        } else {
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(delay)) { completion(outcome) }
        }
    }

    /// Nothing to end: an echo task runs no process.
    func shutdown() {}
}
