import ArgumentParser
import Mahavishnu

/// `mahavishnu workers list`: the live workers.
struct WorkersList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the live workers.")

    @OptionGroup var client: ClientOptions

    func run() async throws {
        let workers = try await client.broker.withWorkerManager { try await $0.listWorkers() }
        if client.json { return try Printer.json(["workers": workers]) }
        guard !workers.isEmpty else { return print("no workers") }
        Printer.table(
            ["WORKER ID", "TYPE", "STATUS", "DONE", "PID", "HOST"],
            workers.map { [$0.workerID, $0.workerType, $0.busy ? "busy" : "idle", "\($0.tasksCompleted)", "\($0.pid)", $0.host] }
        )
    }
}
