import ArgumentParser
import Mahavishnu

/// `mahavishnu pool list`: the broker's live pools.
struct PoolListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the live pools.")

    @OptionGroup var client: ClientOptions

    func run() async throws {
        let listing = try await client.broker.withPoolManager { try await $0.poolList() }
        if client.json { return try Printer.json(listing) }
        if let pair = listing.pair { print("broker: \(pair.summary)") }
        let pools = listing.pools
        guard !pools.isEmpty else { return print("no pools") }
        Printer.table(
            ["POOL ID", "NAME", "TYPE", "WORKER TYPE", "WORKERS", "MIN", "MAX", "IN FLIGHT", "QUEUED", "DONE", "PID", "HOST"],
            pools.map { ["\($0.poolID)", $0.name, $0.type, $0.workerType, "\($0.workers)", "\($0.minWorkers)", "\($0.maxWorkers)", "\($0.inFlight)", "\($0.queued)", "\($0.tasksCompleted)", "\($0.pid)", $0.host] }
        )
    }
}
