import ArgumentParser
import Mahavishnu

/// `mahavishnu pool spawn`: the broker starts a new pool process.
struct PoolSpawn: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "spawn", abstract: "Start a new pool process through the broker and print its pool id.")

    @Option(help: "Pool type (default: default_pool_type from settings).")
    var type: String?

    @Option(help: "The pool's name, unique among live pools.")
    var name: String

    @Option(help: "Workers to start with (default: pool_default_min_workers).")
    var min: Int?

    @Option(help: "Most workers (default: pool_default_max_workers).")
    var max: Int?

    @Option(help: "What each worker runs (default: worker_default_type); for a session-buddy pool, the delegate service's worker type.")
    var workerType: String?

    @Option(help: "A session-buddy pool's delegate service, a name under delegates: in the settings (default: the only one defined).")
    var delegate: String?

    @Flag(help: "Let the broker grow and shrink the pool between --min and --max workers.")
    var autoScale = false

    @OptionGroup var client: ClientOptions

    func run() async throws {
        let settings = try client.broker.settingsOptions.load()
        let config = PoolConfig(
            name: name, poolType: type ?? settings.defaultPoolType,
            minWorkers: min ?? settings.poolDefaultMinWorkers, maxWorkers: max ?? settings.poolDefaultMaxWorkers,
            workerType: workerType ?? settings.workerDefaultType, autoScale: autoScale, delegate: delegate
        )
        let poolID = try await client.broker.withPoolManager { try await $0.spawnPool(config.poolType, config: config) }
        if client.json {
            try Printer.json(["pool_id": poolID, "name": name])
        } else {
            print(poolID)
        }
    }
}
