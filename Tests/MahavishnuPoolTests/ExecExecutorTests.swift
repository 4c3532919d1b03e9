import Foundation
import MahavishnuCore
@testable import MahavishnuPool
import Synchronization
import Testing

/// The `exec` executor in-process, running real programs: what makes a result, and that a task
/// past its timeout loses its whole process group. The process-level tests (ExecWorkerTests) show
/// the same through a broker and a pool process.
@Suite("exec executor")
struct ExecExecutorTests {
    @Test("the prompt reaches the program as one argument; a non-zero exit is failed with its code and stderr")
    func outcomes() async throws {
        let printer = ExecExecutor(definition: WorkerTypeDefinition(executor: .exec, command: ["printf", "%s", "{prompt}"]))
        defer { printer.shutdown() }
        let printed = await run(printer, prompt: "two words; $(no shell)")
        #expect(printed.status == .completed && printed.output == "two words; $(no shell)" && printed.exitCode == 0)

        let failing = ExecExecutor(definition: WorkerTypeDefinition(executor: .exec, command: ["sh", "-c", "echo partial; echo broken >&2; exit 3"]))
        defer { failing.shutdown() }
        let failed = await run(failing, prompt: "x")
        #expect(failed.status == .failed && failed.exitCode == 3 && failed.output == "partial\n")
        #expect(failed.error?.contains("broken") == true, "\(failed.error ?? "")")
    }

    @Test("with stream, each output line is also a partial, in order, the last one unterminated included, all before the completion")
    func streamedLines() async throws {
        var definition = WorkerTypeDefinition(executor: .exec, command: ["sh", "-c", "printf 'one\\ntwo\\n'; sleep 0.05; printf 'three'"], promptVia: .stdin)
        definition.stream = true
        let streamer = ExecExecutor(definition: definition)
        defer { streamer.shutdown() }
        let partials = Mutex<[String]>([])
        var assignment = try TaskAssignment(taskID: "t", body: try JSONCoding.encode(TaskRequest(prompt: "x")), worker: 0, defaultTimeout: 30)
        assignment.partials = PartialOutlet(window: 100) { body in partials.withLock { $0.append(String(decoding: body, as: UTF8.self)) } }
        let outcome = await withCheckedContinuation { continuation in
            streamer.run(assignment) { outcome in
                // The completion comes after every partial: they are all in by now.
                continuation.resume(returning: (outcome, partials.withLock { $0 }))
            }
        }
        #expect(outcome.0.status == .completed && outcome.0.output == "one\ntwo\nthree")
        #expect(outcome.1 == ["one", "two", "three"])
    }

    @Test("out of credit, a streaming program's output waits, and its completion with it, until credit comes; then every line goes, in order, before the completion")
    func streamWaitsForCredit() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("exec-\(UUID().uuidString).done").path
        defer { try? FileManager.default.removeItem(atPath: marker) }
        let stream = try StreamedRun(command: "for i in 1 2 3 4 5; do echo line$i; done; touch \(marker)", window: 2)
        try await waitUntil { FileManager.default.fileExists(atPath: marker) && stream.partials.count == 2 }
        stream.outlet.grant(3)
        let (outcome, partials) = await stream.completion.value
        #expect(outcome.status == .completed && outcome.output == (1...5).map { "line\($0)\n" }.joined())
        #expect(partials == (1...5).map { "line\($0)" }, "the completion came after all five partials")
    }

    @Test("a program done while its partials wait for credit completes at its deadline without them; a cancelled one at once")
    func creditWaitEnds() async throws {
        let done = try StreamedRun(command: "echo one; echo two; echo three", window: 1, timeout: 0.5)
        let started = ContinuousClock.now
        let (outcome, partials) = await done.completion.value
        #expect(outcome.status == .completed && outcome.output == "one\ntwo\nthree\n" && partials == ["one"], "\(outcome)")
        #expect(ContinuousClock.now - started >= .milliseconds(400), "it waited for credit until its deadline")

        let endless = try StreamedRun(command: "i=0; while true; do i=$((i+1)); echo line$i; done", window: 1)
        try await waitUntil { endless.partials.count == 1 }
        endless.executor.cancel("t")
        let (cancelled, sent) = await endless.completion.value
        #expect(cancelled.status == .cancelled && sent == ["line1"], "\(cancelled)")
    }

    @Test("stdin mode writes the prompt to standard input and closes it")
    func standardInput() async throws {
        let catter = ExecExecutor(definition: WorkerTypeDefinition(executor: .exec, command: ["cat"], promptVia: .stdin))
        defer { catter.shutdown() }
        let prompt = "line one\nline two\n"
        #expect(await run(catter, prompt: prompt).output == prompt)
    }

    @Test("past its timeout the task ends timeout, and a child it left in the background dies with it")
    func timeoutEndsTheProcessGroup() async throws {
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("exec-\(UUID().uuidString).pid").path
        defer { try? FileManager.default.removeItem(atPath: pidFile) }
        let sleeper = ExecExecutor(definition: WorkerTypeDefinition(
            executor: .exec, command: ["sh", "-c", "sleep 60 & echo $! > \(pidFile); wait"], killGraceSeconds: 0.2))
        defer { sleeper.shutdown() }
        let outcome = await run(sleeper, prompt: "x", timeout: 0.5)
        #expect(outcome.status == .timeout, "\(outcome.error ?? "")")
        let background = try #require(Int32(String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        // Signalled with its group before the outcome came; dying takes it a moment more.
        let deadline = ContinuousClock.now + .seconds(2)
        while isRunning(background) && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(!isRunning(background), "the backgrounded sleep \(background) outlived its task")
    }

    @Test("a program that does not exist fails at once, naming it")
    func missingProgram() async throws {
        let missing = ExecExecutor(definition: WorkerTypeDefinition(executor: .exec, command: ["no-such-program-\(UUID().uuidString.prefix(8))", "{prompt}"]))
        defer { missing.shutdown() }
        let outcome = await run(missing, prompt: "x")
        #expect(outcome.status == .failed && outcome.error?.hasPrefix("command not found") == true, "\(outcome.error ?? "")")
    }

    private func run(_ executor: ExecExecutor, prompt: String, timeout: Double = 30) async -> ExecutionOutcome {
        let body = try! JSONCoding.encode(TaskRequest(prompt: prompt, timeout: timeout))
        let assignment = try! TaskAssignment(taskID: "t", body: body, worker: 0, defaultTimeout: 30)
        return await withCheckedContinuation { continuation in
            executor.run(assignment) { continuation.resume(returning: $0) }
        }
    }

    /// Whether `pid` is a live process (not a zombie: its parent, the shell, may be gone unreaped).
    private func isRunning(_ pid: Int32) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        return !status.contains(") Z ")
    }
}

/// One streaming task of an `exec` executor running `command` under `sh -c`, its partials let
/// through `window` at a time: what it sent so far, and its completion with the partials sent by then.
private final class StreamedRun: Sendable {
    let executor: ExecExecutor
    let outlet: PartialOutlet
    let completion: Task<(ExecutionOutcome, [String]), Never>
    private let sent: SentPartials

    var partials: [String] { sent.lines.withLock { $0 } }

    init(command: String, window: Int, timeout: Double = 30) throws {
        var definition = WorkerTypeDefinition(executor: .exec, command: ["sh", "-c", command], promptVia: .stdin)
        definition.stream = true
        let executor = ExecExecutor(definition: definition), sent = SentPartials()
        let outlet = PartialOutlet(window: window) { body in sent.lines.withLock { $0.append(String(decoding: body, as: UTF8.self)) } }
        var assignment = try TaskAssignment(taskID: "t", body: try JSONCoding.encode(TaskRequest(prompt: "x", timeout: timeout)), worker: 0, defaultTimeout: 30)
        assignment.partials = outlet
        let started = assignment
        completion = Task {
            let result = await withCheckedContinuation { continuation in
                executor.run(started) { outcome in continuation.resume(returning: (outcome, sent.lines.withLock { $0 })) }
            }
            executor.shutdown()
            return result
        }
        self.executor = executor
        self.outlet = outlet
        self.sent = sent
    }
}

private final class SentPartials: Sendable {
    let lines = Mutex<[String]>([])
}

/// Returns once `condition` holds; a failure if it does not within 5 s.
private func waitUntil(_ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(5)
    while !condition() {
        guard ContinuousClock.now < deadline else { throw StreamTestFailure() }
        try await Task.sleep(for: .milliseconds(5))
    }
}

private struct StreamTestFailure: Error, CustomStringConvertible {
    var description: String { "the condition did not hold within 5 s" }
}
