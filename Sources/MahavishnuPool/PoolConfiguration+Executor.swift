import Logging
import MahavishnuCore

extension PoolConfiguration {
    /// The executor that runs this pool's tasks: for a `session-buddy` pool, a connection to its
    /// delegate service made by `delegates`; otherwise the worker type's.
    ///
    /// Throws `PoolConfigurationError` for an invalid configuration, a delegate that cannot be
    /// used, or a `session-buddy` pool without `delegates`.
    public func makeExecutor(logger: Logger, delegates connector: (any DelegateConnecting)?) async throws -> any Executor {
        try validate()
        guard type == PoolConfig.delegatedPoolType else { return workerTypes[workerType]!.makeExecutor() }
        guard let connector else {
            throw PoolConfigurationError("this pool process cannot reach delegate services, so it cannot run a \(type) pool; run that pool with `mahavishnu pool run`")
        }
        let (name, definition) = try delegates.resolve(delegate)
        do {
            return try await connector.connect(name: name, definition: definition, workerType: workerType, workers: minWorkers, logger: logger)
        } catch {
            throw PoolConfigurationError("delegate '\(name)' (\(definition.displayName)) cannot be used: \(error)")
        }
    }
}
