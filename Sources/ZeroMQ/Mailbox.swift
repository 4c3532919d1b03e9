import Synchronization

/// A queue any thread may post to, drained by the thread that owns a `Poller`.
///
/// The owner registers `wakeup.fileDescriptor` with its poller; `post` wakes it.
public final class Mailbox<Element: Sendable>: Sendable {
    /// Register this with the owner's poller.
    public let wakeup = Wakeup()
    private let pending = Mutex<[Element]>([])

    public init() {}

    /// Adds `element` and wakes the owner; safe from any thread.
    public func post(_ element: Element) {
        pending.withLock { $0.append(element) }
        wakeup.signal()
    }

    /// Everything posted since the last call, oldest first.
    public func take() -> [Element] {
        pending.withLock { pending in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
    }
}
