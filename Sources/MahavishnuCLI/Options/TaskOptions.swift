import ArgumentParser
import Mahavishnu

/// The task to run: `--prompt TEXT`, or a whole task object with `--task JSON`.
struct TaskOptions: ParsableArguments {
    @Option(help: "The task's prompt.")
    var prompt: String?

    @Option(help: #"The whole task object as JSON, e.g. '{"prompt": "Write code", "timeout": 60}'."#)
    var task: String?

    @Option(help: "Seconds to wait for the result.")
    var timeout: Double = 300

    func validate() throws {
        guard (prompt == nil) != (task == nil) else { throw ValidationError("give exactly one of --prompt or --task") }
        guard timeout > 0 else { throw ValidationError("--timeout must be more than 0 seconds") }
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
        let result = try await manager.run(taskJSON: try body(), selector: selector, affinity: affinity, timeout: .seconds(timeout))
        try Printer.result(result, json: json)
        if result.status != .completed { throw ExitCode.failure }
    }
}
