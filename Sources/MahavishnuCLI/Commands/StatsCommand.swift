import ArgumentParser
import Mahavishnu

/// `mahavishnu stats`: the broker's counters.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show the broker's counters: tasks, results, refusals (overloaded, malformed, authentication)."
    )

    @OptionGroup var client: ClientOptions

    func run() async throws {
        let stats = try await client.broker.withBrokerClient { try await $0.control(.stats, as: BrokerStats.self) }
        if client.json { return try Printer.json(stats) }
        let rows: [(String, Int)] = [
            ("pools", stats.pools), ("in flight", stats.inFlight), ("queued", stats.queueDepth),
            ("tasks accepted", stats.tasksAccepted), ("tasks dispatched", stats.tasksDispatched),
            ("results delivered", stats.resultsDelivered), ("results from cache", stats.resultsFromCache),
            ("results undeliverable", stats.resultsUndeliverable), ("results stale", stats.resultsStale),
            ("failed worker_lost", stats.tasksFailedWorkerLost), ("refused overloaded", stats.tasksRefusedOverloaded),
            ("refused invalid", stats.tasksRefusedInvalid), ("malformed frontend", stats.malformedFrontend),
            ("malformed backend", stats.malformedBackend), ("auth refused: no key", stats.authRefusedNoKey),
            ("auth refused: unknown key", stats.authRefusedUnknownKey), ("auth refused: wrong role", stats.authRefusedWrongRole),
            ("auth refused: bad handshake", stats.authRefusedBadHandshake), ("admin commands refused", stats.adminRefused),
        ]
        Printer.table(["COUNTER", "VALUE"], rows.map { [$0.0, "\($0.1)"] })
    }
}
