import Dispatch
import Foundation
import Synchronization
import ZeroMQ

/// The threads an executor runs tasks and children on, and the signal that tells them all to stop.
///
/// Once `shutdown` is called, `stopDescriptor` stays readable for good, so every thread polling
/// it sees the stop, and no new thread starts.
final class ExecutorLifetime: Sendable {
    private let stop = Wakeup()
    private let stopping = Atomic<Bool>(false)
    private let threads = DispatchGroup()
    /// Makes "not stopping, so count one more thread" atomic against `shutdown`, so no thread
    /// starts after `shutdown` has begun waiting.
    private let admission = Mutex(())

    /// Poll it for reading: readable once the executor is stopping.
    var stopDescriptor: Int32 { stop.fileDescriptor }

    var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// Runs `body` on a new thread named `name`; `false` (and nothing runs) once stopping.
    func startThread(name: String, _ body: @escaping @Sendable () -> Void) -> Bool {
        let threads = self.threads
        let admitted = admission.withLock { _ in
            guard !isStopping else { return false }
            threads.enter()
            return true
        }
        guard admitted else { return false }
        let thread = Thread {
            body()
            threads.leave()
        }
        thread.name = name
        thread.start()
        return true
    }

    /// Tells every thread to stop and waits up to `timeout` for them to finish.
    func shutdown(waitingUpTo timeout: Duration) {
        admission.withLock { _ in stopping.store(true, ordering: .releasing) }
        stop.signal()
        _ = threads.wait(timeout: .now() + .milliseconds(Int(timeout.seconds * 1000)))
    }
}
