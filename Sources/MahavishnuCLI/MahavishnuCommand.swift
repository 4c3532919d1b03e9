import ArgumentParser

/// The `mahavishnu` command: a broker, pools and the tools to drive them.
@available(macOS 15, *)
public struct MahavishnuCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "mahavishnu",
        abstract: "A ZeroMQ task broker with pools of workers, each pool its own process.",
        subcommands: [BrokerCommand.self, PoolCommand.self]
    )

    public init() {}
}

/// `mahavishnu pool …`: run a pool process.
struct PoolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool",
        abstract: "Run pools.",
        subcommands: [PoolRun.self]
    )
}
