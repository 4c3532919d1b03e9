import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A queue any thread may post to, drained by the thread that owns a `Poller`.
///
/// The owner registers `wakeup.fileDescriptor` with its poller; `post` wakes it.
public final class Mailbox<Element: Sendable>: Sendable {
    /// Register this with the owner's poller.
    public let wakeup = Wakeup()
    private let pending = Mutex<[Element]>([])
    /// The owner thread's id once it called `adoptCurrentThread()`; 0 before.
    private let owner = Atomic<UInt>(0)

    public init() {}

    /// Marks the calling thread as the owner: from then on its own posts skip the wake-up.
    ///
    /// Call it only from a thread that drains the mailbox after each pass of its loop (and
    /// again until `take()` is empty), or its own posts would wait for an unrelated wake-up.
    public func adoptCurrentThread() {
        owner.store(UInt(pthread_self()), ordering: .releasing)
    }

    /// Adds `element` and wakes the owner, unless the owner posts it itself or has yet to take
    /// an earlier element (`take()` takes them all); safe from any thread.
    public func post(_ element: Element) {
        let first = pending.withLock { pending in
            pending.append(element)
            return pending.count == 1
        }
        if first && UInt(pthread_self()) != owner.load(ordering: .acquiring) { wakeup.signal() }
    }

    /// Everything posted since the last call, oldest first.
    public func take() -> [Element] {
        pending.withLock { pending in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
    }
}
