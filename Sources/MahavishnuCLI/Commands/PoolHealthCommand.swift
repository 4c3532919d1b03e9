import ArgumentParser
import Mahavishnu

/// `mahavishnu pool health`: the deployment's health.
struct PoolHealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "health", abstract: "Show the broker's view of each pool's health.")

    @OptionGroup var client: ClientOptions

    func run() async throws {
        let health = try await client.broker.withPoolManager { try await $0.healthCheck() }
        if client.json { return try Printer.json(health) }
        print("status: \(health.status.rawValue)  pools active: \(health.poolsActive)  queued: \(health.queueDepth)")
        if let pair = health.pair { print("broker: \(pair.summary)") }
        guard !health.pools.isEmpty else { return }
        Printer.table(
            ["POOL ID", "NAME", "STATUS", "WORKERS", "ACTIVE", "MIN", "MAX", "QUEUED", "LAST HEARD"],
            health.pools.map { ["\($0.poolID)", $0.name, $0.status.rawValue, "\($0.workers)", "\($0.activeWorkers)", "\($0.min)", "\($0.max)", "\($0.queueDepth)", "\($0.lastHeartbeatMs) ms ago"] }
        )
    }
}
