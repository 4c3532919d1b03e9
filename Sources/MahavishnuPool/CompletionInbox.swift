import Synchronization
import ZeroMQ

/// Where executors hand finished tasks back to the pool's socket thread, from any thread.
final class CompletionInbox: Sendable {
    struct Completion: Sendable {
        let taskID: [UInt8]
        let worker: Int
        let outcome: ExecutionOutcome
        let started: ContinuousClock.Instant
    }

    let wakeup = Wakeup()
    private let pending = Mutex<[Completion]>([])

    func post(_ completion: Completion) {
        pending.withLock { $0.append(completion) }
        wakeup.signal()
    }

    /// Everything posted since the last call.
    func take() -> [Completion] {
        pending.withLock { pending in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
    }
}
