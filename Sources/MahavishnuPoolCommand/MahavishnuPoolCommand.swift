import ArgumentParser
import MahavishnuCore

/// The `mahavishnu-pool` command: one pool process, linked without the broker, the MCP server
/// and SQLite so that it stays small; what a broker starts for every pool but `session-buddy` ones.
public struct MahavishnuPoolCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "mahavishnu-pool",
        abstract: "Run a pool process that registers with the broker and runs its tasks.",
        discussion: """
            The same pool as `mahavishnu pool run`, in a smaller executable. It cannot run \
            session-buddy pools (their tasks go to a delegate service over MCP): run those with \
            `mahavishnu pool run`.
            """,
        version: MahavishnuVersion.current
    )

    @OptionGroup var options: PoolRunOptions

    public init() {}

    public func run() async throws {
        try await options.run(delegates: nil)
    }
}
