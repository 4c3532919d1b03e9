import Synchronization

/// Where a streaming task's partial outputs leave its executor for the pool's thread: never more
/// of them than the broker has credit for (`TASK`'s window, then each `CREDIT`).
///
/// An executor that finds no credit keeps the output, stops reading its program, and asks
/// `whenCredited` to wake it; the program then blocks on its own full pipe, so a producer that
/// does not read its partials slows its own task and no other.
public final class PartialOutlet: Sendable {
    private struct State {
        var credit: Int
        var waiter: (@Sendable () -> Void)?
    }

    private let state: Mutex<State>
    private let deliver: @Sendable ([UInt8]) -> Void

    /// An outlet with `window` credits that hands each partial it lets through to `deliver`.
    public init(window: Int, deliver: @escaping @Sendable ([UInt8]) -> Void) {
        state = Mutex(State(credit: window))
        self.deliver = deliver
    }

    /// Sends `body` on if a credit is left; `false` if none is: keep it and call `whenCredited`.
    public func send(_ body: [UInt8]) -> Bool {
        let granted = state.withLock { state in
            guard state.credit > 0 else { return false }
            state.credit -= 1
            return true
        }
        if granted { deliver(body) }
        return granted
    }

    /// Calls `resume`, on whichever thread grants the credit, once a credit is there (at once if
    /// one is). One waiter at a time: a second call replaces the first.
    public func whenCredited(_ resume: @escaping @Sendable () -> Void) {
        let now = state.withLock { state in
            guard state.credit == 0 else { return true }
            state.waiter = resume
            return false
        }
        if now { resume() }
    }

    /// The broker granted `count` more partials (`CREDIT`).
    func grant(_ count: Int) {
        let waiter = state.withLock { state in
            state.credit += count
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?()
    }
}
