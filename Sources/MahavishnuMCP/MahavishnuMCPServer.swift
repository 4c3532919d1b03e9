import Foundation
import Logging
import Mahavishnu
import MCP

/// The MCP server: the migration guide's pool and worker tools over stdio, each a call to the
/// running broker. It keeps no pools of its own; only its asynchronous workflows are recorded,
/// in SQLite, so that they outlive it.
public enum MahavishnuMCPServer {
    /// Everything the server needs to start.
    public struct Configuration: Sendable {
        /// The broker's frontend endpoint.
        public var broker: String
        /// The settings in effect (pools and workers switches, defaults, `caller_quota`, retries).
        public var settings: Settings
        /// CURVE keys for a broker that requires them; `nil`: those in `client_keys_dir`, if set.
        public var curve: ClientCurveKeys?
        /// The workflow database file.
        public var workflowDatabase: String
        /// How long a call waits for the broker before reporting it unreachable. Default 3 s.
        public var controlTimeout = Duration.seconds(3)

        public init(broker: String, settings: Settings, curve: ClientCurveKeys?, workflowDatabase: String) {
            self.broker = broker
            self.settings = settings
            self.curve = curve
            self.workflowDatabase = workflowDatabase
        }

        /// `workflow_database` from the settings, else the default file under `$XDG_STATE_HOME`.
        public static func workflowDatabase(_ settings: Settings, environment: [String: String]) -> String {
            settings.workflowDatabase ?? WorkflowStore.defaultPath(environment: environment)
        }
    }

    /// Serves MCP on standard input and output until standard input ends.
    public static func run(_ configuration: Configuration, logger: Logger) async throws {
        let store = try WorkflowStore(path: configuration.workflowDatabase)
        let settings = configuration.settings
        let pools = Result { try PoolManager(broker: configuration.broker, settings: settings, curve: configuration.curve, controlTimeout: configuration.controlTimeout, logger: logger) }
            .mapError(ToolFailure.init)
        let workers = Result { try WorkerManager(broker: configuration.broker, settings: settings, curve: configuration.curve, controlTimeout: configuration.controlTimeout, logger: logger) }
            .mapError(ToolFailure.init)
        let client = Result { try BrokerClient(settings: settings, broker: configuration.broker, curve: configuration.curve, logger: logger) }
            .mapError(ToolFailure.init)
        defer {
            try? pools.get().close()
            try? workers.get().close()
            try? client.get().close()
        }
        let workflows = WorkflowRunner(store: store, client: client, logger: logger)
        let tools = ToolCatalog.all(settings)
        let router = ToolRouter(
            tools: tools, limiter: CallerRateLimiter(quota: settings.callerQuota),
            context: ToolContext(settings: settings, pools: pools, workers: workers, workflows: workflows)
        )
        let server = Server(name: "mahavishnu", version: "1.0.0", capabilities: .init(tools: .init(listChanged: false)))
        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: tools.map(\.tool)) }
        await server.withMethodHandler(CallTool.self) { request in
            await router.call(request) { progress in try? await server.notify(ProgressNotification.message(progress)) }
        }
        try await server.start(transport: StdioTransport(logger: logger))
        logger.info("mcp server ready", metadata: ["zmq.endpoint": "\(configuration.broker)", "workflow.database": "\(configuration.workflowDatabase)"])
        await workflows.resumeUnfinished()
        await server.waitUntilCompleted()
        await workflows.stop()
        await server.stop()
    }
}
