import Foundation
import Logging
import ServiceLifecycle

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
