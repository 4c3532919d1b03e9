import Mahavishnu

extension BrokerOptions {
    /// Loads settings and connects a `WorkerManager`; refuses when workers are disabled.
    func workerManager() throws -> WorkerManager {
        let (settings, endpoint) = try connection()
        return try WorkerManager(broker: endpoint, settings: settings, curve: try curveKeys())
    }

    /// Runs `body` with a connected worker manager and closes it afterwards.
    func withWorkerManager<T>(_ body: (WorkerManager) async throws -> T) async throws -> T {
        let manager = try workerManager()
        defer { manager.close() }
        return try await body(manager)
    }
}
