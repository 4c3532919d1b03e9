import ArgumentParser
import MahavishnuBroker
import MahavishnuCommandCore
import MahavishnuCore

/// `mahavishnu up`: the broker and every pool of a topology, in the foreground.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start the broker and every pool of a topology; Ctrl-C drains and stops them all.",
        discussion: """
            With no --topology it runs the built-in default's pools, the same as topology/local.yaml, \
            with the broker on broker_frontend and broker_backend from the settings. --frontend and \
            --backend win over both.
            """
    )

    @Option(help: "Topology file (default: the built-in one-host topology).")
    var topology: String?

    @Option(help: "Endpoint producers connect to (default: the topology's broker.frontend, else broker_frontend). ':*' lets the OS choose the port.")
    var frontend: String?

    @Option(help: "Endpoint pools connect to (default: the topology's broker.backend, else broker_backend).")
    var backend: String?

    @OptionGroup var security: SecurityOptions
    @OptionGroup var journal: JournalOptions
    @OptionGroup var http: HTTPOptions
    @OptionGroup var settingsOptions: SettingsOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let flags = ["broker_keys_dir": security.keys, "broker_allow_list": security.allow, "broker_frontend": frontend, "broker_backend": backend]
        var settings = try settingsOptions.load(flags: flags.compactMapValues { $0 }.merging(journal.settingsFlags) { $1 }.merging(http.settingsFlags) { $1 })
        let deployment: Topology
        do {
            deployment = try topology.map { try Topology.load(file: $0, settings: settings) }
                ?? Topology.parse(Topology.defaultYAML, source: "built-in topology", settings: settings)
        } catch {
            throw CLIError("invalid topology: \(error)")
        }
        if deployment.broker.pair != nil {
            throw CLIError("the topology runs a broker pair, on two hosts: run the units or manifests `mahavishnu deploy render` writes, or `mahavishnu broker --role primary|backup` on each host (docs/failover.md)")
        }
        if let keys = deployment.broker.keys, let allow = deployment.broker.allow, security.keys == nil {
            settings.brokerKeysDir = keys
            settings.brokerAllowList = allow
        }
        settings.brokerBusPub = deployment.broker.busPub ?? settings.brokerBusPub
        settings.brokerBusSub = deployment.broker.busSub ?? settings.brokerBusSub
        var configuration = try BrokerConfiguration(settings: settings, settingsFile: settingsOptions.file)
        configuration.insecure = security.insecure
        // A topology file's broker section wins over settings; the built-in one names none of its own.
        if topology != nil {
            configuration.frontend = frontend ?? deployment.broker.frontend
            configuration.backend = backend ?? deployment.broker.backend
        }
        configuration.initialPools = deployment.pools.map {
            PoolConfig(name: $0.name, poolType: $0.type, minWorkers: $0.minWorkers, maxWorkers: $0.maxWorkers, workerType: $0.workerType, autoScale: $0.autoScale, delegate: $0.delegate)
        }
        try await BrokerRunner.run(configuration, settings: settings, logging: logging)
    }
}
