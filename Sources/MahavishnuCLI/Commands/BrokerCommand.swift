import ArgumentParser
import MahavishnuBroker
import MahavishnuCommandCore
import MahavishnuCore

/// `mahavishnu broker`: run the broker in the foreground, with no pools of its own.
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run the broker: producers connect to its frontend, pools to its backend.",
        subcommands: [BrokerPromote.self]
    )

    @Option(help: "Endpoint producers connect to (default: broker_frontend). ':*' lets the OS choose the port.")
    var frontend: String?

    @Option(help: "Endpoint pools connect to (default: broker_backend).")
    var backend: String?

    @Option(help: "Most tasks that may wait for a free pool (default: broker_queue_bound).")
    var queueBound: Int?

    @Option(help: "Selector for tasks that name none (default: pool_routing_strategy).")
    var selector: String?

    @Option(help: "This broker's place in a primary/backup pair: primary, backup or none (default: broker_role). See docs/failover.md.")
    var role: String?

    @Option(help: "The peer broker's pair endpoint, with --role (default: broker_peer).")
    var peer: String?

    @Option(help: "Where this broker listens for its peer (default: broker_pair_bind).")
    var pairBind: String?

    @OptionGroup var security: SecurityOptions
    @Flag(inversion: .prefixedNo, help: "Store every finished task's result for `memory search` (default: memory_aggregation_enabled).")
    var memory: Bool?

    @Option(help: "The memory database file (default: memory_database_path).")
    var memoryDatabase: String?

    @OptionGroup var bus: BusOptions
    @OptionGroup var journal: JournalOptions
    @OptionGroup var http: HTTPOptions

    @OptionGroup var settingsOptions: SettingsOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let flags = [
            "broker_frontend": frontend, "broker_backend": backend,
            "broker_queue_bound": queueBound.map(String.init), "pool_routing_strategy": selector,
            "broker_keys_dir": security.keys, "broker_allow_list": security.allow,
            "memory_aggregation_enabled": memory.map(String.init), "memory_database_path": memoryDatabase,
            "broker_role": role, "broker_peer": peer, "broker_pair_bind": pairBind,
        ].compactMapValues { $0 }
        let settings = try settingsOptions.load(flags: flags.merging(bus.settingsFlags) { $1 }.merging(journal.settingsFlags) { $1 }.merging(http.settingsFlags) { $1 })
        var configuration = try BrokerConfiguration(settings: settings, settingsFile: settingsOptions.file)
        configuration.insecure = security.insecure
        try await BrokerRunner.run(configuration, settings: settings, logging: logging)
    }
}

extension PoolSelector: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}
