import ArgumentParser

/// `mahavishnu memory …`: search and count the results the broker's memory aggregator stored.
struct MemoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "Search the results of every pool's tasks, stored by the broker's memory aggregator.",
        subcommands: [MemorySearch.self, MemoryStatsCommand.self]
    )
}
