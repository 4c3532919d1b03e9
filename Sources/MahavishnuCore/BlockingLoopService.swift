import Foundation
import ServiceLifecycle

/// Runs a blocking socket loop (broker, pool) on its own thread as a lifecycle `Service`:
/// graceful shutdown calls `stop`, and `run()` returns once the loop has returned.
package struct BlockingLoopService: Service {
    let name: String
    let loop: @Sendable () throws -> Void
    let stop: @Sendable () -> Void
    /// Runs once signals are handled, just before the loop starts: the place to announce readiness.
    let started: @Sendable () -> Void

    package init(name: String, loop: @escaping @Sendable () throws -> Void, stop: @escaping @Sendable () -> Void, started: @escaping @Sendable () -> Void = {}) {
        self.name = name
        self.loop = loop
        self.stop = stop
        self.started = started
    }

    package func run() async throws {
        started()
        try await withGracefulShutdownHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let thread = Thread {
                    do {
                        try loop()
                        continuation.resume()
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
                thread.name = name
                thread.start()
            }
        } onGracefulShutdown: {
            stop()
        }
    }
}
