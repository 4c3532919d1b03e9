import ArgumentParser
import Mahavishnu

/// `mahavishnu workers close WORKER_ID`: stop one worker.
struct WorkersClose: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "close", abstract: "Stop a worker once its running task has finished.")

    @Argument(help: "The worker's id.")
    var workerID: String

    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await client.broker.withWorkerManager { try await $0.closeWorker(workerID) }
        if client.json { try Printer.json(["closed": [workerID]]) } else { print("closed \(workerID)") }
    }
}

/// `mahavishnu workers close-all`: stop every worker (pools are left alone).
struct WorkersCloseAll: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "close-all", abstract: "Stop every worker; other pools keep running.")

    @OptionGroup var client: ClientOptions

    func run() async throws {
        let closed = try await client.broker.withWorkerManager { try await $0.closeAll() }
        if client.json { return try Printer.json(["closed": closed]) }
        print(closed.isEmpty ? "no workers to close" : "closed \(closed.joined(separator: ", "))")
    }
}
