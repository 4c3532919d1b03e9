import Logging
import MahavishnuCore
import MahavishnuPool

/// Connects `session-buddy` pools to their delegate service over MCP: a child process on its
/// standard input and output, or an HTTP endpoint.
public struct MCPDelegateConnector: DelegateConnecting {
    public init() {}

    public func connect(name: String, definition: DelegateDefinition, workerType: String, workers: Int, logger: Logger) async throws -> any Executor {
        try await DelegateExecutor.start(name: name, definition: definition, workerType: workerType, workers: workers, logger: logger)
    }
}
