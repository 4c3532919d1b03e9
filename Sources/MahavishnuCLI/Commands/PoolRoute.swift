import ArgumentParser
import Mahavishnu

/// `mahavishnu pool route`: run a task on the pool a selector picks.
struct PoolRoute: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "route", abstract: "Run a task on the pool a selector picks; prints the pool and worker that ran it.")

    @Option(help: "How to pick the pool: \(PoolSelector.validNames) (default: pool_routing_strategy).")
    var selector: PoolSelector?

    @Option(help: "The pool (id or name) for --selector affinity.")
    var affinity: String?

    @OptionGroup var task: TaskOptions
    @OptionGroup var client: ClientOptions

    func validate() throws {
        if selector == .affinity && affinity == nil { throw ValidationError("--selector affinity needs --affinity NAME") }
        if affinity != nil && selector != .affinity { throw ValidationError("--affinity goes with --selector affinity") }
    }

    func run() async throws {
        try await client.broker.withPoolManager { manager in
            try await task.run(on: manager, selector: selector ?? manager.defaultSelector, affinity: affinity, json: client.json)
        }
    }
}
