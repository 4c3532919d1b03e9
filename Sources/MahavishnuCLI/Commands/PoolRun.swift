import ArgumentParser
import MahavishnuPoolCommand
import MahavishnuSessionBuddy

/// `mahavishnu pool run`: run one pool process in the foreground, `session-buddy` pools included
/// (`mahavishnu-pool` runs the others in less memory).
struct PoolRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pool process that registers with the broker and runs its tasks."
    )

    @OptionGroup var options: PoolRunOptions

    func run() async throws {
        try await options.run(delegates: MCPDelegateConnector())
    }
}
