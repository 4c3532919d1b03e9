import ArgumentParser
import MahavishnuCore

/// The `mahavishnu` command: a broker, pools and the tools to drive them.
@available(macOS 15, *)
public struct MahavishnuCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "mahavishnu",
        abstract: "A ZeroMQ task broker with pools of workers, each pool its own process.",
        version: MahavishnuVersion.current,
        subcommands: [
            UpCommand.self, BrokerCommand.self, PoolCommand.self, WorkersCommand.self, BusCommand.self, MemoryCommand.self,
            TaskCommand.self, StatsCommand.self, TopCommand.self, KeysCommand.self, DeployCommand.self, MCPCommand.self,
        ]
    )

    public init() {}
}

/// `mahavishnu pool …`: manage pools through the broker, or run one.
struct PoolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool",
        abstract: "Spawn, use, inspect and close pools (each a client of the running broker), or run a pool process.",
        subcommands: [
            PoolSpawn.self, PoolExecute.self, PoolRoute.self, PoolListCommand.self, PoolHealthCommand.self,
            PoolScale.self, PoolMetricsCommand.self, PoolBatch.self, PoolClose.self, PoolCloseAll.self, PoolRun.self,
        ]
    )
}

/// `mahavishnu bus …`: watch the inter-pool message bus.
struct BusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bus",
        abstract: "Watch the broker's inter-pool message bus.",
        subcommands: [BusTail.self]
    )
}
