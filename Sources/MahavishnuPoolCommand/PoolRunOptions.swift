import ArgumentParser
import Foundation
import MahavishnuClient
import MahavishnuCommandCore
import MahavishnuCore
import MahavishnuPool

/// The options of a pool process, and running one in the foreground until SIGTERM or Ctrl-C:
/// `mahavishnu pool run` and `mahavishnu-pool` take the same ones. A broker builds them with
/// `PoolLaunchSpec`, whose option names these are.
package struct PoolRunOptions: ParsableArguments {
    @Option(name: .customLong(PoolLaunchSpec.Option.name), help: "The pool's name, unique among live pools.")
    var name = PoolConfiguration().name

    @Option(name: .customLong(PoolLaunchSpec.Option.id), help: "The pool's stable id (default: generated).")
    var id: String?

    @Option(name: .customLong(PoolLaunchSpec.Option.type), help: "Pool type (default: default_pool_type).")
    var type: String?

    @Option(name: .customLong(PoolLaunchSpec.Option.min), help: "Workers to start with (default: pool_default_min_workers).")
    var min: Int?

    @Option(name: .customLong(PoolLaunchSpec.Option.max), help: "Most workers the pool may scale to (default: pool_default_max_workers).")
    var max: Int?

    @Option(name: .customLong(PoolLaunchSpec.Option.workerType), help: "What each worker runs (default: worker_default_type); for a session-buddy pool, the delegate service's worker type.")
    var workerType: String?

    @Option(name: .customLong(PoolLaunchSpec.Option.delegate), help: "A session-buddy pool's delegate service, a name under delegates: in the settings (default: the only one defined).")
    var delegate: String?

    @Option(name: .customLong(PoolLaunchSpec.Option.broker), help: "The broker's backend endpoint (default: broker_backend); for a broker pair, both backends separated by a comma, tried in turn.")
    var broker: String?

    @Option(name: .customLong(PoolLaunchSpec.Option.frontend), help: "The broker's frontend, where the pool runs tasks other pools delegate to it (default: broker_frontend).")
    var frontend: String?

    @OptionGroup var bus: BusOptions

    @Flag(name: .customLong(PoolLaunchSpec.Option.exitWithParent), help: "Drain and exit when the parent process exits (set by a broker that starts pools).")
    var exitWithParent = false

    @Flag(name: .customLong(PoolLaunchSpec.Option.autoScale), help: "Let the broker grow and shrink the pool between --min and --max workers.")
    var autoScale = false

    @OptionGroup var keys: ClientKeysOption

    @OptionGroup var settingsOptions: SettingsOptions
    @OptionGroup var logging: LoggingOptions

    package init() {}

    /// Runs the pool these options describe until it is signalled to stop and has drained.
    ///
    /// - Parameter delegates: connects a `session-buddy` pool to its delegate service; without
    ///   it, such a pool fails to start with a message saying where it can run.
    package func run(delegates: (any DelegateConnecting)?) async throws {
        let brokers = try broker.map { try endpointList($0, flag: PoolLaunchSpec.Option.broker) }
        let flags = ["broker_backend": brokers?.first, "broker_frontend": frontend].compactMapValues { $0 }
        let settings = try settingsOptions.load(flags: flags.merging(bus.settingsFlags) { $1 })
        var configuration = PoolConfiguration()
        configuration.name = name
        if let id { configuration.poolID = id }
        configuration.type = type ?? settings.defaultPoolType
        configuration.minWorkers = min ?? settings.poolDefaultMinWorkers
        configuration.maxWorkers = max ?? Swift.max(settings.poolDefaultMaxWorkers, configuration.minWorkers)
        configuration.workerType = workerType ?? settings.workerDefaultType
        configuration.workerTypes = settings.workerTypes
        configuration.taskTimeout = settings.workerTimeoutSeconds
        configuration.broker = settings.brokerBackend
        configuration.otherBrokers = Array(brokers?.dropFirst() ?? [])
        configuration.exitWithParent = exitWithParent
        configuration.autoScale = autoScale
        configuration.heartbeatInterval = .milliseconds(settings.heartbeatIntervalMs)
        configuration.heartbeatLiveness = settings.heartbeatLiveness
        configuration.delegates = settings.delegates
        configuration.delegate = delegate
        // Keys: --keys, else those a parent broker passed down, else client_keys_dir.
        configuration.curve = try keys.named()
            ?? ClientCurveKeys.fromEnvironment(ProcessInfo.processInfo.environment)
            ?? keys.resolve(settings)
        let logger = logging.bootstrap(label: "mahavishnu.pool")
        let executor: any Executor
        do {
            executor = try await configuration.makeExecutor(logger: logger, delegates: delegates)
        } catch {
            throw CLIError("\(error)")
        }
        let link = try await PoolBusLink.connect(settings: settings, poolID: configuration.poolID, poolName: configuration.name, curve: configuration.curve, logger: logger)
        do {
            let pool = try PoolProcess(configuration: configuration, logger: logger, executor: executor, hooks: link.hooks) { pool in
                announce("pool ready id=\(pool.poolID) name=\(pool.name) workers=\(pool.minWorkers)")
            }
            try await runUntilSignalled([LoopService(pool)], logger: logger)
        } catch {
            await link.close()
            throw error
        }
        await link.close()
    }
}
