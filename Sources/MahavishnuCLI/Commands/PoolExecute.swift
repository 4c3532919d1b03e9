import ArgumentParser
import Mahavishnu

/// `mahavishnu pool execute POOL_ID`: run a task on one pool.
struct PoolExecute: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "execute", abstract: "Run a task on a given pool (waits for its capacity if it is busy).")

    @Argument(help: "The pool's id or name.")
    var poolID: String

    @OptionGroup var task: TaskOptions
    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await client.broker.withPoolManager { manager in
            try await task.run(on: manager, selector: .affinity, affinity: poolID, json: client.json)
        }
    }
}
