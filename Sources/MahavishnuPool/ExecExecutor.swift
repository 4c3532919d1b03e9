import Foundation
import MahavishnuCore
import MahavishnuProcess
import ZeroMQ

/// The `exec` worker: runs the worker type's command once per task, in its own process group.
///
/// `{prompt}` in an argument is replaced by the prompt (still one argument), or the prompt is
/// written to the program's standard input (`prompt_via: stdin`). No shell is involved. Exit
/// status, standard output and standard error (each up to the output cap) make the result; a
/// non-zero exit is `failed`. Past its timeout the task's process group gets SIGTERM, then SIGKILL
/// after the grace period, and the task ends `timeout`. One `SocketLoop`, started with the first
/// task, drives the programs of all the pool's slots.
struct ExecExecutor: Executor {
    let definition: WorkerTypeDefinition
    private let loop: SocketLoop<ExecRuns.Command>

    init(definition: WorkerTypeDefinition) {
        self.definition = definition
        let mailbox = Mailbox<ExecRuns.Command>()
        loop = SocketLoop(name: "mahavishnu.exec", mailbox: mailbox, handler: ExecRuns(definition: definition, mailbox: mailbox))
    }

    func run(_ assignment: TaskAssignment, completion: @escaping @Sendable (ExecutionOutcome) -> Void) {
        loop.start()
        if loop.post(.run(ExecRuns.Job(assignment: assignment, completion: completion))) != .accepted {
            completion(.failed("the pool is stopping; the task was not run"))
        }
    }

    func cancel(_ taskID: String) {
        loop.post(.cancel(taskID: taskID))
    }

    /// Ends every running program's process group and waits until each has been reaped.
    func shutdown() {
        loop.stop()
        try? loop.join()
    }
}

/// The `exec` executor's loop: each task's program, from its start to its reaping.
final class ExecRuns: SocketLoopHandler {
    typealias Command = ExecutorCommand<Job>

    /// A task to run.
    struct Job: Sendable {
        let assignment: TaskAssignment
        let completion: @Sendable (ExecutionOutcome) -> Void
    }

    private let definition: WorkerTypeDefinition
    /// The loop's own mailbox: credit for a paused stream arrives through it.
    private let mailbox: Mailbox<Command>
    private var reactor: SocketReactor!
    private var runs: [ObjectIdentifier: ExecRun] = [:]
    private var stopping = false

    init(definition: WorkerTypeDefinition, mailbox: Mailbox<Command>) {
        self.definition = definition
        self.mailbox = mailbox
    }

    func start(_ reactor: SocketReactor) {
        self.reactor = reactor
    }

    func handle(_ commands: [Command]) {
        for command in commands {
            let job: Job
            switch command {
            case .run(let run): job = run
            case .cancel(let taskID):
                runs.values.first { $0.taskID == taskID }?.stop(cancelled: true)
                continue
            case .resume(let taskID):
                runs.values.first { $0.taskID == taskID }?.resume()
                continue
            }
            let mailbox = self.mailbox, taskID = job.assignment.taskID
            do throws(ExecutionFailure) {
                let run = try ExecRun(definition: definition, job: job, on: reactor, resume: { mailbox.post(.resume(taskID: taskID)) }) { [unowned self] run in
                    runs[ObjectIdentifier(run)] = nil
                }
                runs[ObjectIdentifier(run)] = run
            } catch {
                job.completion(error.outcome)
            }
        }
    }

    /// Sends the signals due to overdue programs.
    func beforeWait() {
        for run in runs.values { run.fireSignals() }
    }

    var nextDeadline: ContinuousClock.Instant? { runs.values.compactMap(\.nextSignal).min() }

    /// The pool stops: every program is ended, and the loop serves until each has exited.
    func stopRequested() -> Bool {
        stopping = true
        for run in runs.values { run.stop(cancelled: false) }
        return runs.isEmpty
    }

    var isDone: Bool { stopping && runs.isEmpty }

    func finish(after error: (any Error)?) {
        for run in runs.values { run.kill() }
        runs.removeAll()
    }
}

/// One `exec` task's program, on its executor's loop: its input, its capped output, its deadline.
private final class ExecRun {
    /// Bytes of standard error quoted in the error of a failed task.
    static let stderrTailBytes = 1_000

    private let definition: WorkerTypeDefinition
    private let job: Job
    private var pipes: ChildPipes!
    private var stdout: CappedOutput
    private var stderr: CappedOutput
    private var schedule: TerminationSchedule
    /// Standard output not yet sent as partial outputs (`stream`).
    private var unsent = LineBuffer()
    /// Posts `resume()` to the loop once the broker grants credit for more partials.
    private let resumeStream: @Sendable () -> Void
    /// Partials are dropped, not sent: the program is being ended, or it is done and its
    /// deadline passed while its producer took no more.
    private var droppingPartials = false
    /// The program has exited (it is reaped once its output is all taken).
    private var exited = false
    /// Why it was ended before its time: the pool stopped, or the broker cancelled the task.
    private var stopped: StopReason?

    private enum StopReason { case poolStopping, cancelled }
    private let ended: (ExecRun) -> Void

    typealias Job = ExecRuns.Job

    /// Starts the task's program; `ended` is called once it has been reaped and the task completed.
    init(definition: WorkerTypeDefinition, job: Job, on reactor: SocketReactor, resume: @escaping @Sendable () -> Void,
         ended: @escaping (ExecRun) -> Void) throws(ExecutionFailure) {
        self.definition = definition
        self.job = job
        self.resumeStream = resume
        self.ended = ended
        stdout = CappedOutput(cap: definition.outputCapBytes)
        stderr = CappedOutput(cap: definition.outputCapBytes)
        schedule = TerminationSchedule(deadline: .now + job.assignment.timeout, grace: .seconds(definition.killGraceSeconds))
        let prompt = job.assignment.task.prompt
        let viaStdin = definition.promptVia == .stdin
        if !viaStdin && prompt.utf8.contains(0) {
            throw ExecutionFailure(outcome: .failed("the prompt contains a NUL byte, which no program argument can carry; use prompt_via: stdin"))
        }
        let spec = LaunchSpec(
            arguments: viaStdin ? definition.command : definition.command.map { $0.replacingOccurrences(of: WorkerTypeDefinition.promptPlaceholder, with: prompt) },
            environment: LaunchSpec.environment(overriding: definition.environment),
            workingDirectory: definition.workingDirectory, pipeStandardInput: viaStdin
        )
        let child: ChildProcess
        do {
            child = try ChildProcess.launch(spec)
        } catch {
            throw ExecutionFailure(outcome: .failed(error.description))
        }
        pipes = ChildPipes(child, on: reactor, stdout: { [unowned self] in receive($0) }, stderr: { [unowned self] in stderr.append($0) },
                           exited: { [unowned self] in
                               exited = true
                               finishIfDone()
                           })
        if viaStdin { pipes.send(Array(prompt.utf8), thenClose: true) }
    }

    var taskID: String { job.assignment.taskID }

    /// Standard output: kept for the result and, with `stream`, sent on line by line as partial outputs.
    private func receive(_ chunk: UnsafeRawBufferPointer) {
        stdout.append(chunk)
        guard definition.stream, job.assignment.partials != nil else { return }
        unsent.append(chunk)
        sendPartials(final: false)
    }

    /// Sends the complete lines of output as partials, a line longer than the output cap in
    /// pieces and, when `final`, what follows the last newline. Out of credit, it stops reading
    /// the program until the broker grants more: `false` then.
    @discardableResult
    private func sendPartials(final: Bool) -> Bool {
        guard let outlet = job.assignment.partials else { return true }
        let send = { [unowned self] (line: [UInt8]) in droppingPartials || outlet.send(line) }
        var sent = unsent.takeLines(send)
        if sent && (final || unsent.count > definition.outputCapBytes) { sent = unsent.takeRest(send) }
        if !sent {
            pipes.pauseOutput()
            outlet.whenCredited(resumeStream)
        }
        return sent
    }

    /// Credit came: the held lines go, then the program's output is read again.
    func resume() {
        guard pipes.outputPaused, sendPartials(final: false) else { return }
        pipes.resumeOutput()
        finishIfDone()
    }

    /// Once the program has exited and all its output is taken: reaps it and completes the task.
    private func finishIfDone() {
        guard exited, !pipes.outputPaused else { return }
        pipes.drain()
        guard !pipes.outputPaused, sendPartials(final: true) else { return }
        let termination = pipes.reap()
        job.completion(outcome(termination))
        ended(self)
    }

    /// A program that exited waits for credit until its deadline only.
    var nextSignal: ContinuousClock.Instant? { exited ? (pipes.outputPaused ? schedule.deadline : nil) : schedule.nextDue }

    func fireSignals() {
        if exited {
            if let deadline = schedule.deadline, ContinuousClock.now >= deadline { dropPartials() }
            return
        }
        schedule.fire(pipes.child)
        if schedule.ending { dropPartials() }
    }

    /// Ends its process group because the pool stops, or because the task was `cancelled`.
    func stop(cancelled: Bool) {
        guard stopped == nil else { return }
        stopped = cancelled ? .cancelled : .poolStopping
        schedule.endNow(pipes.child)
        dropPartials()
    }

    /// Sends no more partials, so nothing waits for credit: the task is ending.
    private func dropPartials() {
        droppingPartials = true
        resume()
    }

    /// Kills and reaps it at once, the task failed: the loop is ending.
    func kill() {
        pipes.child.signalGroup(SIGKILL)
        _ = pipes.reap()
        job.completion(.failed("the pool stopped; the task was not finished"))
    }

    private func outcome(_ termination: Termination) -> ExecutionOutcome {
        var outcome = ExecutionOutcome(status: .completed, output: stdout.text)
        outcome.stderr = stderr.text
        outcome.outputTruncated = stdout.truncated
        outcome.stderrTruncated = stderr.truncated
        if stopped == .poolStopping {
            outcome.status = .failed
            outcome.error = "the pool stopped while the task ran; its process group was ended"
        } else if stopped == .cancelled {
            var cancelled = ExecutionOutcome.cancelled(schedule.killed ? "while it ran; its process group ignored SIGTERM and was killed" : "while it ran; its process group was terminated")
            (cancelled.output, cancelled.stderr) = (outcome.output, outcome.stderr)
            return cancelled
        } else if schedule.ending {
            outcome.status = .timeout
            outcome.error = ExecutionOutcome.timedOut(after: job.assignment.timeout, detail: schedule.killed ? "; its process group ignored SIGTERM and was killed" : "; its process group was terminated").error
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
