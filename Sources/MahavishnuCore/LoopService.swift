import ServiceLifecycle
import ZeroMQ

/// Runs a `ThreadLoop` (the router, a pool) as a lifecycle `Service`: graceful shutdown or
/// cancellation stops it, and `run()` returns once its thread has ended.
package struct LoopService<Loop: ThreadLoop>: Service {
    let loop: Loop
    /// Runs once the loop has started: the place to announce readiness.
    let started: @Sendable () -> Void

    package init(_ loop: Loop, started: @escaping @Sendable () -> Void = {}) {
        self.loop = loop
        self.started = started
    }

    package func run() async throws {
        let loop = self.loop
        loop.start()
        started()
        try await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
                try await loop.finished()
            } onGracefulShutdown: {
                loop.stop()
            }
        } onCancel: {
            loop.stop()
        }
    }
}
