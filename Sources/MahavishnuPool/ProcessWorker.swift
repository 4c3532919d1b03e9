import Foundation
import MahavishnuCore
import MahavishnuProcess
import ZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// One worker slot of a `process` worker type: its long-lived child, driven on the slot's own
/// `SocketLoop`. It starts the child with the slot's first task, writes each task to it, relays
/// its results, and ends overdue tasks; a child that exits is started again for the next task.
final class ProcessWorker: SocketLoopHandler {
    typealias Command = ExecutorCommand<Job>

    /// A task for the slot, already encoded as its line.
    struct Job: Sendable {
        let assignment: TaskAssignment
        let completion: @Sendable (ExecutionOutcome) -> Void
        let line: [UInt8]
    }

    private let definition: WorkerTypeDefinition
    private let slot: Int
    /// The loop's own mailbox: credit for a paused stream arrives through it.
    private let mailbox: Mailbox<Command>
    private var reactor: SocketReactor!
    private var pipes: ChildPipes?
    private var current: Job?
    private var schedule: TerminationSchedule
    private var stopping = false
    /// Why the child is being ended, when that is not the task's timeout.
    private var endReason: String?
    /// The broker cancelled the current task.
    private var cancelled = false
    /// The child has exited; it is reaped once its output is all taken.
    private var childGone = false
    /// The current task's partials are dropped, not sent: it is ending, or its child is done and
    /// its deadline passed while its producer took no more.
    private var droppingPartials = false
    /// Standard output not yet handled.
    private var lines = LineBuffer()
    /// The last bytes the child wrote to standard error, quoted when it dies.
    private var stderrTail: [UInt8] = []

    /// The longest result line accepted: the output cap, allowing for JSON escapes, and room for the other fields.
    private var maxLineBytes: Int { definition.outputCapBytes * 6 + 65_536 }

    init(definition: WorkerTypeDefinition, slot: Int, mailbox: Mailbox<Command>) {
        self.definition = definition
        self.slot = slot
        self.mailbox = mailbox
        schedule = TerminationSchedule(deadline: nil, grace: .seconds(definition.killGraceSeconds))
    }

    /// The slot's next task as a job for its loop; throws when it cannot be encoded.
    static func job(_ assignment: TaskAssignment, completion: @escaping @Sendable (ExecutionOutcome) -> Void) throws(ExecutionFailure) -> Job {
        do {
            return Job(assignment: assignment, completion: completion, line: try taskLine(assignment))
        } catch {
            throw ExecutionFailure(outcome: .failed("cannot encode the task for the worker process: \(error)"))
        }
    }

    func start(_ reactor: SocketReactor) {
        self.reactor = reactor
    }

    func handle(_ commands: [Command]) {
        for command in commands {
            switch command {
            case .run(let job): begin(job)
            case .cancel(let taskID) where current?.assignment.taskID == taskID:
                cancelled = true
                endChild(reason: "cancelled")
            case .resume(let taskID) where current?.assignment.taskID == taskID:
                resume()
            case .cancel, .resume: continue
            }
        }
    }

    /// Sends the signals due to an overdue task's child; a child that exited waits for credit
    /// for its task's partials until the task's deadline only.
    func beforeWait() {
        guard let child = pipes?.child else { return }
        if childGone {
            if let deadline = schedule.deadline, ContinuousClock.now >= deadline { dropPartials() }
            return
        }
        schedule.fire(child)
        if schedule.ending { dropPartials() }
    }

    var nextDeadline: ContinuousClock.Instant? {
        guard let pipes else { return nil }
        return childGone ? (pipes.outputPaused ? schedule.deadline : nil) : schedule.nextDue
    }

    /// The pool stops: the child is ended, and the loop serves until it has exited.
    func stopRequested() -> Bool {
        stopping = true
        endChild(reason: "the pool stopped while the task ran")
        return pipes == nil
    }

    var isDone: Bool { stopping && pipes == nil }

    func finish(after error: (any Error)?) {
        if let pipes {
            pipes.child.signalGroup(SIGKILL)
            _ = pipes.reap()
            self.pipes = nil
        }
        current?.completion(.failed("the pool stopped; the task was not finished"))
        current = nil
    }

    private func begin(_ job: Job) {
        guard current == nil else {
            return job.completion(.failed("worker slot \(slot) is already running a task"))
        }
        if pipes == nil {
            let spec = LaunchSpec(arguments: definition.command, environment: LaunchSpec.environment(overriding: definition.environment),
                                  workingDirectory: definition.workingDirectory, pipeStandardInput: true)
            do {
                pipes = ChildPipes(try ChildProcess.launch(spec), on: reactor, stdout: { [unowned self] in receive($0) },
                                   stderr: { [unowned self] in relayStderr($0) }, exited: { [unowned self] in childExited() })
            } catch {
                return job.completion(.failed(error.description))
            }
        }
        current = job
        endReason = nil
        cancelled = false
        droppingPartials = false
        schedule.reset(deadline: .now + job.assignment.timeout)
        pipes?.send(job.line)
    }

    private func complete(_ outcome: ExecutionOutcome) {
        current?.completion(outcome)
        current = nil
        schedule.reset(deadline: nil)
    }

    /// Ends the child's process group (SIGTERM now, SIGKILL after the grace period).
    private func endChild(reason: String) {
        guard let pipes else { return }
        endReason = endReason ?? reason
        pipes.closeInput()
        schedule.endNow(pipes.child)
        dropPartials()
    }

    /// Sends no more of the current task's partials, so nothing waits for credit: it is ending.
    private func dropPartials() {
        droppingPartials = true
        resume()
    }

    private func childExited() {
        childGone = true
        finishExitIfDone()
    }

    /// Once the child has exited and its output is all taken: reaps it and ends the task it ran.
    private func finishExitIfDone() {
        guard childGone, let pipes, !pipes.outputPaused else { return }
        pipes.drain()
        guard !pipes.outputPaused else { return }
        let termination = pipes.reap()
        self.pipes = nil
        childGone = false
        lines.removeAll()
        guard let job = current else { return }
        if cancelled {
            complete(.cancelled(schedule.killed ? "while it ran; the worker process ignored SIGTERM and was killed; it restarts for the next task" : "while it ran; the worker process was terminated; it restarts for the next task"))
        } else if let endReason {
            complete(.failed(endReason))
        } else if schedule.ending {
            complete(.timedOut(after: job.assignment.timeout, detail: schedule.killed ? "; the worker process ignored SIGTERM and was killed; it restarts for the next task" : "; the worker process was terminated; it restarts for the next task"))
        } else {
            let tail = String(decoding: stderrTail, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            complete(.lost("the worker process \(definition.command[0]) \(termination) while running the task" + (tail.isEmpty ? "" : ": \(tail)") + "; it restarts for the next task"))
        }
        stderrTail.removeAll()
    }

    // MARK: Standard streams

    private func receive(_ chunk: UnsafeRawBufferPointer) {
        lines.append(chunk)
        guard lines.takeLines(handle) else { return waitForCredit() }
        if lines.count > maxLineBytes {
            lines.removeAll()
            if current != nil {
                endChild(reason: "the worker process wrote a result line longer than \(maxLineBytes) bytes; it was stopped and restarts for the next task")
            }
        }
    }

    /// Stops reading the child until the broker grants the current task's partials more credit.
    private func waitForCredit() {
        pipes?.pauseOutput()
        guard let job = current else { return }
        let mailbox = self.mailbox, taskID = job.assignment.taskID
        job.assignment.partials?.whenCredited { mailbox.post(.resume(taskID: taskID)) }
    }

    /// Credit came (or the partials are dropped now): the held lines are handled, then the
    /// child's output is read again.
    private func resume() {
        guard let pipes, pipes.outputPaused else { return }
        guard lines.takeLines(handle) else { return waitForCredit() }
        pipes.resumeOutput()
        finishExitIfDone()
    }

    /// One line of the child's standard output: a result for the current task, a partial output,
    /// or noise. `false` for a partial the broker has no credit for yet: it is kept.
    private func handle(_ line: [UInt8]) -> Bool {
        guard let result = try? JSONCoding.decode(ResultLine.self, from: line) else {
            // Not a JSON object: a stray print. It goes to the pool's stderr, like the child's own.
            relayStderr(line + [UInt8(ascii: "\n")])
            return true
        }
        guard let job = current else { return true }
        guard let taskID = result.taskID else {
            complete(.failed("the worker process wrote a result without task_id; every result line needs the task_id of its task"))
            return true
        }
        // A result for another task (one that already ended) is stale: ignore it.
        guard taskID == job.assignment.taskID else { return true }
        if let partial = result.partial {
            guard let outlet = job.assignment.partials, !droppingPartials else { return true }
            return outlet.send(Array(partial.utf8))
        }
        complete(result.outcome(cap: definition.outputCapBytes))
        return true
    }

    private func relayStderr(_ chunk: UnsafeRawBufferPointer) {
        stderrTail.append(contentsOf: chunk)
        if stderrTail.count > 2_000 { stderrTail.removeFirst(stderrTail.count - 2_000) }
        FileHandle.standardError.write(Data(chunk))
    }

    private func relayStderr(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { relayStderr($0) }
    }

    /// The task as one JSON line: the producer's task object plus `task_id` and the effective `timeout`.
    static func taskLine(_ assignment: TaskAssignment) throws -> [UInt8] {
        var object = try JSONSerialization.jsonObject(with: Data(assignment.body)) as? [String: Any] ?? [:]
        object["task_id"] = assignment.taskID
        object["timeout"] = assignment.timeout.seconds
        return Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) + [UInt8(ascii: "\n")]
    }
}

/// A result line of a `process` worker.
private struct ResultLine: Decodable {
    let taskID: String?
    let status: String?
    let output: String?
    let error: String?
    /// A partial output: the task goes on, this line is not its result.
    let partial: String?

    enum CodingKeys: String, CodingKey { case taskID = "task_id", status, output, error, partial }

    /// The outcome it reports, with `output` cut at `cap` bytes.
    func outcome(cap: Int) -> ExecutionOutcome {
        var capped = CappedOutput(cap: cap)
        Array((output ?? "").utf8).withUnsafeBytes { capped.append($0) }
        var outcome = ExecutionOutcome(status: .completed, output: capped.text)
        outcome.outputTruncated = capped.truncated
        if status == "completed" || (status == nil && error == nil) { return outcome }
        outcome.status = .failed
        if status == "failed" || status == nil {
            outcome.error = error ?? "the worker process reported the task failed"
        } else {
            outcome.error = "the worker process reported an unknown status '\(status ?? "")'; expected completed or failed" + (error.map { ": \($0)" } ?? "")
        }
        return outcome
    }
}
