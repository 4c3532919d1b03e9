import ArgumentParser
import Foundation
import Mahavishnu

/// The task to run: `--prompt TEXT`, or a whole task object with `--task JSON`.
struct TaskOptions: ParsableArguments {
    @Option(help: "The task's prompt.")
    var prompt: String?

    @Option(help: #"The whole task object as JSON, e.g. '{"prompt": "Write code", "timeout": 60}'."#)
    var task: String?

    @Option(help: "Seconds to wait for the result (after the --delay, if any).")
    var timeout: Double = 300

    @Option(help: "0 to 9, higher runs first among waiting tasks (default 5).")
    var priority: Int?

    @Option(name: .customLong("delay"), help: "Seconds from now before the broker dispatches the task.")
    var delaySeconds: Double?

    @Option(name: .customLong("expires-in"), help: "Seconds from now after which the task, if it has not started, ends expired.")
    var expiresInSeconds: Double?

    @Option(help: "The task id (default: a fresh UUID); `task get` and `task cancel` take it.")
    var taskID: String?

    @Flag(help: "Print the task's partial outputs as its worker sends them, before the result.")
    var stream = false

    func validate() throws {
        guard (prompt == nil) != (task == nil) else { throw ValidationError("give exactly one of --prompt or --task") }
        guard timeout > 0 else { throw ValidationError("--timeout must be more than 0 seconds") }
        if let priority, !TaskSchedule.priorities.contains(priority) { throw ValidationError("--priority must be from 0 to 9 (higher runs first); got \(priority)") }
        if let delaySeconds, !(delaySeconds >= 0) { throw ValidationError("--delay must be 0 or more seconds") }
        if let expiresInSeconds, !(expiresInSeconds > 0) { throw ValidationError("--expires-in must be more than 0 seconds") }
    }

    /// The schedule the options ask for.
    var schedule: ScheduleRequest {
        ScheduleRequest(priority: priority, expiresIn: expiresInSeconds.map { .milliseconds(Int64($0 * 1000)) },
                        delay: delaySeconds.map { .milliseconds(Int64($0 * 1000)) })
    }

    /// The task object to submit, as JSON bytes: `--task` byte for byte once checked, or built from `--prompt`.
    func body() throws -> [UInt8] {
        guard let task else { return try JSONCoding.encode(TaskRequest(prompt: prompt!)) }
        do {
            _ = try TaskRequest.decode(body: Array(task.utf8))
        } catch {
            throw ValidationError("--task: \(error.message)")
        }
        return Array(task.utf8)
    }

    /// Runs the task through `manager` and prints its result; a task that did not complete is a failure exit.
    func run(on manager: PoolManager, selector: PoolSelector, affinity: String?, json: Bool) async throws {
        _ = try await manager.healthCheck()
        let schedule = self.schedule, wait = Duration.milliseconds(Int64(timeout * 1000)) + schedule.startsWithin
        let taskID = self.taskID ?? UUID().uuidString
        let result: TaskResult
        if stream {
            result = try await streamed(manager.stream(taskJSON: try body(), taskID: taskID, selector: selector, affinity: affinity, schedule: schedule, timeout: wait), json: json)
        } else {
            result = try await manager.run(taskJSON: try body(), taskID: taskID, selector: selector, affinity: affinity, schedule: schedule, timeout: wait)
        }
        try Printer.result(result, json: json)
        if result.status != .completed { throw ExitCode.failure }
    }

    /// Prints each partial output as it comes (`[attempt N] text`, or a JSON line with `--json`); returns the result.
    private func streamed(_ events: AsyncThrowingStream<TaskEvent, any Error>, json: Bool) async throws -> TaskResult {
        for try await event in events {
            switch event {
            case .partial(let partial):
                if json {
                    print(String(decoding: try JSONCoding.encode(PartialLine(attempt: partial.attempt, sequence: partial.sequence, partial: partial.text)), as: UTF8.self))
                } else {
                    print("[attempt \(partial.attempt)] \(partial.text)")
                }
            case .result(let result):
                return result
            }
        }
        throw ValidationError("the broker ended the stream without a result")
    }
}

/// A partial output as `--stream --json` prints it.
private struct PartialLine: Encodable {
    let attempt: Int
    let sequence: Int
    let partial: String
}
