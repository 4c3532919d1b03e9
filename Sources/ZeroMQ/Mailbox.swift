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
    private let pending = Mutex<(elements: [Element], closed: Bool)>(([], false))
    /// The owner thread's id once it called `adoptCurrentThread()`; 0 before.
    private let owner = Atomic<UInt>(0)

    /// What became of a posted element.
    public enum Posted: Sendable, Equatable {
        case accepted
        /// As many elements as the post allowed wait already; this one was dropped.
        case full
        /// The mailbox was closed; this one was dropped.
        case closed
    }

    public init() {}

    /// Marks the calling thread as the owner: from then on its own posts skip the wake-up.
    ///
    /// Call it only from a thread that drains the mailbox after each pass of its loop (and
    /// again until `take()` is empty), or its own posts would wait for an unrelated wake-up.
    public func adoptCurrentThread() {
        owner.store(UInt(pthread_self()), ordering: .releasing)
    }

    /// Adds `element` unless `limit` elements wait already or the mailbox is closed, and wakes
    /// the owner, unless the owner posts it itself or has yet to take an earlier element
    /// (`take()` takes them all); safe from any thread.
    @discardableResult
    public func post(_ element: Element, ifFewerThan limit: Int = .max) -> Posted {
        let (posted, first) = pending.withLock { pending -> (Posted, Bool) in
            guard !pending.closed else { return (.closed, false) }
            guard pending.elements.count < limit else { return (.full, false) }
            pending.elements.append(element)
            return (.accepted, pending.elements.count == 1)
        }
        if first && UInt(pthread_self()) != owner.load(ordering: .acquiring) { wakeup.signal() }
        return posted
    }

    /// Refuses every later post and wakes the owner; what was posted before stays to be taken.
    public func close() {
        pending.withLock { $0.closed = true }
        wakeup.signal()
    }

    /// Whether `close()` was called.
    public var isClosed: Bool { pending.withLock { $0.closed } }

    /// Everything posted since the last call, oldest first.
    public func take() -> [Element] {
        pending.withLock { pending in
            defer { pending.elements.removeAll(keepingCapacity: true) }
            return pending.elements
        }
    }
}
