import Foundation
import MahavishnuCore
import ZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// One worker slot of a `process` worker type: its long-lived child and the thread that talks to it.
///
/// - Important: everything but `submit` runs on the worker's own thread (`loop`).
final class ProcessWorker: @unchecked Sendable {
    private struct Job {
        let assignment: TaskAssignment
        let completion: @Sendable (ExecutionOutcome) -> Void
        let line: [UInt8]
    }

    private let definition: WorkerTypeDefinition
    private let slot: Int
    private let lifetime: ExecutorLifetime
    private let inbox = Mailbox<Job>()
    private var streams: ChildStreams?
    private var current: Job?
    private var schedule: TerminationSchedule
    /// Why the child is being ended, when that is not the task's timeout.
    private var endReason: String?
    /// Standard output not yet ending in a newline.
    private var partialLine: [UInt8] = []
    /// The last bytes the child wrote to standard error, quoted when it dies.
    private var stderrTail: [UInt8] = []

    /// The longest result line accepted: the output cap, allowing for JSON escapes, and room for the other fields.
    private var maxLineBytes: Int { definition.outputCapBytes * 6 + 65_536 }

    init(definition: WorkerTypeDefinition, slot: Int, lifetime: ExecutorLifetime) {
        self.definition = definition
        self.slot = slot
        self.lifetime = lifetime
        schedule = TerminationSchedule(deadline: nil, grace: .seconds(definition.killGraceSeconds))
    }

    /// Hands the slot its next task; safe from any thread.
    func submit(_ assignment: TaskAssignment, completion: @escaping @Sendable (ExecutionOutcome) -> Void) {
        do {
            inbox.post(Job(assignment: assignment, completion: completion, line: try Self.taskLine(assignment)))
        } catch {
            completion(.failed("cannot encode the task for the worker process: \(error)"))
        }
    }

    /// The worker's thread: starts tasks, relays results, ends overdue tasks, until the pool stops.
    func loop() {
        var stopping = false
        while true {
            if !stopping && lifetime.isStopping {
                stopping = true
                endChild(reason: "the pool stopped while the task ran")
            }
            if stopping && streams == nil {
                for job in [current].compactMap({ $0 }) + inbox.take() { job.completion(.failed("the pool stopped; the task was not finished")) }
                return
            }
            if !stopping { for job in inbox.take() { begin(job) } }
            let extra = stopping ? [] : [inbox.wakeup.fileDescriptor, lifetime.stopDescriptor]
            if let streams {
                let events = streams.pump(timeoutMilliseconds: schedule.millisecondsToNext, extra: extra,
                                          stdout: { self.receive($0) }, stderr: { self.relayStderr($0) })
                if events.readable.contains(inbox.wakeup.fileDescriptor) { inbox.wakeup.drain() }
                if events.exited { childExited() } else if let child = self.streams?.child { schedule.fire(child) }
            } else {
                var fds = extra.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
                _ = poll(&fds, nfds_t(fds.count), -1)
                inbox.wakeup.drain()
            }
        }
    }

    private func begin(_ job: Job) {
        guard current == nil else {
            return job.completion(.failed("worker slot \(slot) is already running a task"))
        }
        if streams == nil {
            let spec = LaunchSpec(arguments: definition.command, environment: LaunchSpec.environment(overriding: definition.environment),
                                  workingDirectory: definition.workingDirectory, pipeStandardInput: true)
            do {
                streams = ChildStreams(try ChildProcess.launch(spec))
            } catch {
                return job.completion(.failed(error.description))
            }
        }
        current = job
        endReason = nil
        schedule.reset(deadline: .now + job.assignment.timeout)
        streams?.send(job.line)
    }

    private func finish(_ outcome: ExecutionOutcome) {
        current?.completion(outcome)
        current = nil
        schedule.reset(deadline: nil)
    }

    /// Ends the child's process group (SIGTERM now, SIGKILL after the grace period).
    private func endChild(reason: String) {
        guard let child = streams?.child else { return }
        endReason = endReason ?? reason
        child.closeStandardInput()
        schedule.endNow(child)
    }

    private func childExited() {
        guard let streams else { return }
        streams.drain(stdout: { self.receive($0) }, stderr: { self.relayStderr($0) })
        let termination = streams.child.reap()
        self.streams = nil
        partialLine.removeAll()
        guard let job = current else { return }
        if let endReason {
            finish(.failed(endReason))
        } else if schedule.ending {
            finish(.timedOut(after: job.assignment.timeout, detail: schedule.killed ? "; the worker process ignored SIGTERM and was killed; it restarts for the next task" : "; the worker process was terminated; it restarts for the next task"))
        } else {
            let tail = String(decoding: stderrTail, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            finish(.lost("the worker process \(definition.command[0]) \(termination) while running the task" + (tail.isEmpty ? "" : ": \(tail)") + "; it restarts for the next task"))
        }
        stderrTail.removeAll()
    }

    // MARK: Standard streams

    private func receive(_ chunk: UnsafeRawBufferPointer) {
        partialLine.append(contentsOf: chunk)
        while let newline = partialLine.firstIndex(of: UInt8(ascii: "\n")) {
            let line = Array(partialLine[..<newline])
            partialLine.removeSubrange(...newline)
            handle(line)
        }
        if partialLine.count > maxLineBytes {
            partialLine.removeAll()
            if current != nil {
                endChild(reason: "the worker process wrote a result line longer than \(maxLineBytes) bytes; it was stopped and restarts for the next task")
            }
        }
    }

    /// One line of the child's standard output: a result for the current task, or noise.
    private func handle(_ line: [UInt8]) {
        guard let result = try? JSONCoding.decode(ResultLine.self, from: line) else {
            // Not a JSON object: a stray print. It goes to the pool's stderr, like the child's own.
            return relayStderr(line + [UInt8(ascii: "\n")])
        }
        guard let job = current else { return }
        guard let taskID = result.taskID else {
            return finish(.failed("the worker process wrote a result without task_id; every result line needs the task_id of its task"))
        }
        // A result for another task (one that already ended) is stale: ignore it.
        guard taskID == job.assignment.taskID else { return }
        finish(result.outcome(cap: definition.outputCapBytes))
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

    enum CodingKeys: String, CodingKey { case taskID = "task_id", status, output, error }

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
