import Logging
import MahavishnuCore

extension PoolConfiguration {
    /// The executor that runs this pool's tasks: for a `session-buddy` pool, a connection to its
    /// delegate service, connected and with its workers spawned before this returns; otherwise
    /// the worker type's.
    ///
    /// Throws `PoolConfigurationError` for an invalid configuration or a delegate that cannot be used.
    public func makeExecutor(logger: Logger) async throws -> any Executor {
        try validate()
        guard type == PoolSpawnRequest.delegatedPoolType else { return workerTypes[workerType]!.makeExecutor() }
        let (name, definition) = try delegates.resolve(delegate)
        do {
            return try await DelegateExecutor.start(name: name, definition: definition, workerType: workerType, workers: minWorkers, logger: logger)
        } catch {
            throw PoolConfigurationError("delegate '\(name)' (\(definition.displayName)) cannot be used: \(error)")
        }
    }
}
