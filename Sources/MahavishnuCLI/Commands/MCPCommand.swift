import ArgumentParser
import Foundation
import Mahavishnu
import MahavishnuCommandCore
import MahavishnuMCP

/// `mahavishnu mcp`: the MCP server over stdio, a client of the running broker.
struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve the pool and worker tools to an MCP client over stdin/stdout (a client of the running broker)."
    )

    @OptionGroup var client: BrokerOptions

    @Option(help: "The SQLite file of asynchronous workflows (default: workflow_database, else $XDG_STATE_HOME/mahavishnu/workflows.sqlite).")
    var workflowDatabase: String?

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let (settings, endpoint) = try client.connection()
        var configuration = MahavishnuMCPServer.Configuration(
            broker: endpoint, settings: settings, curve: try client.curveKeys(),
            workflowDatabase: workflowDatabase ?? MahavishnuMCPServer.Configuration.workflowDatabase(settings, environment: ProcessInfo.processInfo.environment)
        )
        configuration.controlTimeout = .seconds(3)
        try await MahavishnuMCPServer.run(configuration, logger: logging.bootstrap(label: "mahavishnu.mcp"))
    }
}
