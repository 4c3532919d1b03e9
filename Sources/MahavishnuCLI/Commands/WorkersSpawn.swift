import ArgumentParser
import Mahavishnu

/// `mahavishnu workers spawn --type T --count N`: start workers through the broker.
struct WorkersSpawn: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "spawn", abstract: "Start workers and print their ids, one a line.")

    @Option(help: "Worker type (default: worker_default_type from settings).")
    var type: String?

    @Option(help: "How many workers to start.")
    var count = 1

    @OptionGroup var client: ClientOptions

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
    }

    func run() async throws {
        let workerIDs = try await client.broker.withWorkerManager { try await $0.spawnWorkers(workerType: type, count: count) }
        if client.json { return try Printer.json(["workers": workerIDs]) }
        for workerID in workerIDs { print(workerID) }
    }
}
