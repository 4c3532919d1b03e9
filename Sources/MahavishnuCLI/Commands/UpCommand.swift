import ArgumentParser
import MahavishnuBroker
import MahavishnuCommandCore
import MahavishnuCore

/// `mahavishnu up`: the broker and every pool of a topology, in the foreground.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start the broker and every pool of a topology; Ctrl-C drains and stops them all.",
        discussion: "With no --topology it runs the built-in default, the same as topology/local.yaml."
    )

    @Option(help: "Topology file (default: the built-in one-host topology).")
    var topology: String?

    @OptionGroup var security: SecurityOptions
    @OptionGroup var settingsOptions: SettingsOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        var settings = try settingsOptions.load(flags: ["broker_keys_dir": security.keys, "broker_allow_list": security.allow].compactMapValues { $0 })
        let deployment: Topology
        do {
            deployment = try topology.map { try Topology.load(file: $0, settings: settings) }
                ?? Topology.parse(Topology.defaultYAML, source: "built-in topology", settings: settings)
        } catch {
            throw CLIError("invalid topology: \(error)")
        }
        if let keys = deployment.broker.keys, let allow = deployment.broker.allow, security.keys == nil {
            settings.brokerKeysDir = keys
            settings.brokerAllowList = allow
        }
        settings.brokerBusPub = deployment.broker.busPub ?? settings.brokerBusPub
        settings.brokerBusSub = deployment.broker.busSub ?? settings.brokerBusSub
        var configuration = try BrokerConfiguration(settings: settings, settingsFile: settingsOptions.file)
        configuration.insecure = security.insecure
        configuration.frontend = deployment.broker.frontend
        configuration.backend = deployment.broker.backend
        configuration.initialPools = deployment.pools.map {
            PoolSpawnRequest(name: $0.name, poolType: $0.type, minWorkers: $0.minWorkers, maxWorkers: $0.maxWorkers, workerType: $0.workerType, autoScale: $0.autoScale, delegate: $0.delegate)
        }
        try await BrokerRunner.run(configuration, settings: settings, logging: logging)
    }
}
