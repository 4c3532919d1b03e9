import ArgumentParser
import MahavishnuCLI

/// `_mahavishnu ARGS…`: runs `mahavishnu ARGS…` (the broker), the exact code the CLI runs.
struct MahavishnuRole: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: ChildRole.mahavishnu,
        abstract: "Internal: run as `mahavishnu` (the broker).",
        shouldDisplay: false
    )

    @Argument(parsing: .captureForPassthrough, help: "Arguments for `mahavishnu`.")
    var arguments: [String] = []

    func run() async throws {
        ParentWatch.start(onParentGone: .terminateGracefully)
        await MahavishnuCommand.main(arguments)
    }
}

/// The hidden subcommand names the orchestrator starts children with.
enum ChildRole {
    static let mahavishnu = "_mahavishnu"
    static let echoServer = "_echo-server"
    static let zmqProxy = "_zmq-proxy"
    static let fakePools = "_fake-pools"
}
