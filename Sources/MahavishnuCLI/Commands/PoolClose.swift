import ArgumentParser
import Mahavishnu

/// `mahavishnu pool close POOL_ID`: drain and stop one pool.
struct PoolClose: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "close", abstract: "Drain a pool (its running tasks finish) and stop it.")

    @Argument(help: "The pool's id or name.")
    var poolID: String

    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await client.broker.withPoolManager { try await $0.closePool(poolID) }
        if client.json { try Printer.json(["closed": [poolID]]) } else { print("closed \(poolID)") }
    }
}

/// `mahavishnu pool close-all`: drain and stop every pool.
struct PoolCloseAll: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "close-all", abstract: "Drain and stop every pool.")

    @OptionGroup var client: ClientOptions

    func run() async throws {
        let closed = try await client.broker.withPoolManager { try await $0.closeAll() }
        if client.json { return try Printer.json(["closed": closed]) }
        print(closed.isEmpty ? "no pools to close" : "closed \(closed.joined(separator: ", "))")
    }
}
