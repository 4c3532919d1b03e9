import Logging
import MahavishnuCore

/// Connects a `session-buddy` pool to its delegate service; `MahavishnuSessionBuddy` has the one
/// over MCP. Kept out of this module so that a pool process without it links no MCP client.
public protocol DelegateConnecting: Sendable {
    /// The executor of a pool whose tasks go to delegate `name`: connected, with `workers` of the
    /// service's `workerType` workers spawned; throws why the service cannot be used.
    func connect(name: String, definition: DelegateDefinition, workerType: String, workers: Int, logger: Logger) async throws -> any Executor
}
