import ArgumentParser
import Mahavishnu

/// `mahavishnu pool scale POOL_ID --target N`: resize a pool.
struct PoolScale: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "scale", abstract: "Resize a pool within its [min, max] workers; busy workers finish their task first.")

    @Argument(help: "The pool's id or name.")
    var poolID: String

    @Option(help: "The worker count wanted.")
    var target: Int

    @OptionGroup var client: ClientOptions

    func run() async throws {
        let pool = try await client.broker.withPoolManager { try await $0.pool(poolID).scale(targetWorkers: target) }
        if client.json { return try Printer.json(pool) }
        print("pool \(pool.name) (\(pool.poolID)) now has \(pool.workers) workers (min \(pool.minWorkers), max \(pool.maxWorkers))")
    }
}
