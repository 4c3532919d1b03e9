import Foundation
import Logging
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

/// Runs `services` until one finishes or SIGTERM/SIGINT asks them to stop; they are asked to
/// stop gracefully in reverse order, each once the one after it has finished.
package func runUntilSignalled(_ services: [any Service], logger: Logger) async throws {
    let group = ServiceGroup(configuration: .init(
        services: services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) },
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger
    ))
    try await group.run()
}

/// Prints one line to stdout and flushes it, for scripts and tests waiting on readiness.
package func announce(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
