import ArgumentParser
import Mahavishnu

/// `mahavishnu workers execute --prompt TEXT --count N`: run a prompt on N workers at once.
struct WorkersExecute: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "execute",
        abstract: "Run a prompt on N workers at once, idle workers first; starts the missing workers if fewer are alive."
    )

    @Option(help: "The task's prompt.")
    var prompt: String

    @Option(help: "On how many workers to run it.")
    var count = 1

    @Option(help: "Use (and start) workers of this type only (default: any live worker; new ones get worker_default_type).")
    var type: String?

    @Option(help: "Seconds to wait for the results.")
    var timeout: Double = 300

    @OptionGroup var client: ClientOptions

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        guard timeout > 0 else { throw ValidationError("--timeout must be more than 0 seconds") }
    }

    func run() async throws {
        let results = try await client.broker.withWorkerManager { manager in
            let live = try await manager.listWorkers().filter { type == nil || $0.workerType == type }
            var workerIDs = (live.filter { !$0.busy } + live.filter(\.busy)).prefix(count).map(\.workerID)
            if workerIDs.count < count {
                workerIDs += try await manager.spawnWorkers(workerType: type, count: count - workerIDs.count)
            }
            let tasks = Array(repeating: TaskRequest(prompt: prompt), count: count)
            return try await manager.executeBatch(workerIDs, tasks: tasks, timeout: .seconds(timeout))
        }
        if client.json {
            try Printer.json(["results": results])
        } else {
            for result in results { try Printer.result(result, json: false) }
        }
        if results.contains(where: { $0.status != .completed }) { throw ExitCode.failure }
    }
}
