import Foundation

/// The dedicated thread that owns a connection's sockets and runs its loop, and a way to wait
/// until that loop has returned.
final class SocketThread: Sendable {
    private let finished = DispatchSemaphore(value: 0)

    /// Starts a thread named `name` running `loop`.
    init(name: String, loop: @escaping @Sendable () -> Void) {
        let finished = self.finished
        let thread = Thread {
            loop()
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Waits until the loop has returned; returns at once if it already has.
    func join() {
        finished.wait()
        finished.signal()
    }
}
