import ArgumentParser
import MahavishnuPool

/// `mahavishnu pool run`: run one pool process in the foreground.
struct PoolRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pool process that registers with the broker and runs its tasks."
    )

    @Option(help: "The pool's name, unique among live pools.")
    var name = PoolConfiguration().name

    @Option(help: "The pool's stable id (default: generated).")
    var id: String?

    @Option(help: "Pool type.")
    var type = PoolConfiguration().type

    @Option(help: "Workers to start with.")
    var min = PoolConfiguration().minWorkers

    @Option(help: "Most workers the pool may scale to.")
    var max = PoolConfiguration().maxWorkers

    @Option(help: "What each worker runs.")
    var workerType = PoolConfiguration().workerType

    @Option(help: "The broker's backend endpoint.")
    var broker = PoolConfiguration().broker

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        var configuration = PoolConfiguration()
        configuration.name = name
        if let id { configuration.poolID = id }
        configuration.type = type
        configuration.minWorkers = min
        configuration.maxWorkers = max
        configuration.workerType = workerType
        configuration.broker = broker
        do {
            try configuration.validate()
        } catch {
            throw ValidationError(error.description)
        }
        let logger = logging.bootstrap(label: "mahavishnu.pool")
        let pool = try PoolProcess(configuration: configuration, logger: logger) { pool in
            announce("pool ready id=\(pool.configuration.poolID) name=\(pool.configuration.name) workers=\(pool.configuration.minWorkers)")
        }
        try await BlockingLoopService.runUntilSignalled(
            BlockingLoopService(name: "mahavishnu.pool", loop: { try pool.run() }, stop: { pool.stop() }),
            logger: logger
        )
    }
}
