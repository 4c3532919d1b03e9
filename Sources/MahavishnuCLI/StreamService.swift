import Logging
import ServiceLifecycle

/// Handles every element of an async stream as a lifecycle `Service`: graceful shutdown calls
/// `finish` (which should end the stream), and `run()` returns once the stream has ended.
struct StreamService<Element: Sendable>: Service {
    let messages: AsyncStream<Element>
    let handle: @Sendable (Element) -> Void
    let finish: @Sendable () -> Void

    func run() async throws {
        await withGracefulShutdownHandler {
            for await message in messages { handle(message) }
        } onGracefulShutdown: {
            finish()
        }
    }
}
