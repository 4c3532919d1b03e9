import Foundation
import MahavishnuCore

/// The `exec` worker: runs the worker type's command once per task, in its own process group.
///
/// `{prompt}` in an argument is replaced by the prompt (still one argument), or the prompt is
/// written to the program's standard input (`prompt_via: stdin`). No shell is involved. Exit
/// status, standard output and standard error (each up to the output cap) make the result; a
/// non-zero exit is `failed`. Past its timeout the task's process group gets SIGTERM, then SIGKILL
/// after the grace period, and the task ends `timeout`.
struct ExecExecutor: Executor {
    let definition: WorkerTypeDefinition
    private let lifetime = ExecutorLifetime()

    init(definition: WorkerTypeDefinition) {
        self.definition = definition
    }

    func run(_ assignment: TaskAssignment, completion: @escaping @Sendable (ExecutionOutcome) -> Void) {
        let definition = self.definition, lifetime = self.lifetime
        let started = lifetime.startThread(name: "mahavishnu.exec.w\(assignment.worker)") {
            completion(ExecRun(definition: definition, assignment: assignment, lifetime: lifetime).outcome())
        }
        if !started { completion(.failed("the pool is stopping; the task was not run")) }
    }

    func shutdown() {
        lifetime.shutdown(waitingUpTo: .seconds(definition.killGraceSeconds) + .seconds(2))
    }
}

/// One `exec` task, run to its end on its own thread.
private struct ExecRun {
    let definition: WorkerTypeDefinition
    let assignment: TaskAssignment
    let lifetime: ExecutorLifetime

    /// Bytes of standard error quoted in the error of a failed task.
    static let stderrTailBytes = 1_000

    func outcome() -> ExecutionOutcome {
        let prompt = assignment.task.prompt
        let viaStdin = definition.promptVia == .stdin
        if !viaStdin && prompt.utf8.contains(0) {
            return .failed("the prompt contains a NUL byte, which no program argument can carry; use prompt_via: stdin")
        }
        let spec = LaunchSpec(
            arguments: viaStdin ? definition.command : definition.command.map { $0.replacingOccurrences(of: WorkerTypeDefinition.promptPlaceholder, with: prompt) },
            environment: LaunchSpec.environment(overriding: definition.environment),
            workingDirectory: definition.workingDirectory, pipeStandardInput: viaStdin
        )
        let streams: ChildStreams
        do {
            streams = ChildStreams(try ChildProcess.launch(spec))
        } catch {
            return .failed(error.description)
        }
        if viaStdin { streams.send(Array(prompt.utf8), thenClose: true) }
        var stdout = CappedOutput(cap: definition.outputCapBytes)
        var stderr = CappedOutput(cap: definition.outputCapBytes)
        var schedule = TerminationSchedule(deadline: .now + assignment.timeout, grace: .seconds(definition.killGraceSeconds))
        var stopped = false
        while true {
            let events = streams.pump(timeoutMilliseconds: schedule.millisecondsToNext, extra: stopped ? [] : [lifetime.stopDescriptor],
                                      stdout: { stdout.append($0) }, stderr: { stderr.append($0) })
            if events.exited { break }
            if !events.readable.isEmpty, !stopped {
                stopped = true
                schedule.endNow(streams.child)
            }
            schedule.fire(streams.child)
        }
        streams.drain(stdout: { stdout.append($0) }, stderr: { stderr.append($0) })
        let termination = streams.child.reap()
        var outcome = ExecutionOutcome(status: .completed, output: stdout.text)
        outcome.stderr = stderr.text
        outcome.outputTruncated = stdout.truncated
        outcome.stderrTruncated = stderr.truncated
        if stopped {
            outcome.status = .failed
            outcome.error = "the pool stopped while the task ran; its process group was ended"
        } else if schedule.ending {
            outcome.status = .timeout
            outcome.error = ExecutionOutcome.timedOut(after: assignment.timeout, detail: schedule.killed ? "; its process group ignored SIGTERM and was killed" : "; its process group was terminated").error
        } else if case .exited(let status) = termination {
            outcome.exitCode = Int(status)
            if status != 0 {
                outcome.status = .failed
                outcome.error = "\(definition.command[0]) \(termination)" + quote(stderr)
            }
        } else {
            outcome.status = .failed
            outcome.error = "\(definition.command[0]) \(termination)" + quote(stderr)
        }
        return outcome
    }

    private func quote(_ stderr: CappedOutput) -> String {
        let tail = stderr.tail(Self.stderrTailBytes)
        return tail.isEmpty ? " (no stderr)" : ": \(tail)"
    }
}
