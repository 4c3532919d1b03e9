import Foundation
import Logging
import MahavishnuCore
import MahavishnuPool

/// The workers of a `session-buddy` pool: each task is forwarded to an outside MCP worker
/// service (the pool's delegate) and its answer reported as the task's result.
///
/// While the service is unreachable the executor is unavailable (`unavailableReason`): the pool
/// announces no capacity, so the broker sends tasks elsewhere, and the broker reports the pool
/// `unhealthy` with the reason; tasks running when the service went away are lost, so the broker
/// runs them again within their retry budget.
final class DelegateExecutor: Executor {
    private let session: DelegateSession

    private init(session: DelegateSession) {
        self.session = session
    }

    /// Connects to the delegate and spawns `workers` of its workers; throws why it cannot.
    static func start(name: String, definition: DelegateDefinition, workerType: String, workers: Int, logger: Logger) async throws -> DelegateExecutor {
        let session = DelegateSession(name: name, definition: definition, workerType: workerType, workers: workers, logger: logger)
        try await session.start()
        return DelegateExecutor(session: session)
    }

    func run(_ assignment: TaskAssignment, completion: @escaping @Sendable (ExecutionOutcome) -> Void) {
        let session = self.session
        Task { completion(await session.execute(assignment)) }
    }

    var unavailableReason: String? { session.status.unavailableReason }

    func resized(to workers: Int) {
        let session = self.session
        Task { await session.resize(to: workers) }
    }

    /// Closes the pool's workers at the service and ends the connection (waits up to a minute).
    func shutdown() {
        let done = DispatchSemaphore(value: 0)
        let session = self.session
        Task {
            await session.close()
            done.signal()
        }
        _ = done.wait(timeout: .now() + 60)
    }
}
