import Synchronization

/// Catches the outcome an executor reports before its `run` returns (an `echo` task, a task it
/// refuses), so the pool's thread sends that result itself rather than posting it to its own
/// mailbox and waking to read it back; an outcome reported later, from another thread, is posted.
final class InlineCompletion: Sendable {
    private enum State {
        case running
        case reported(ExecutionOutcome)
        case returned
    }

    private let state = Mutex(State.running)

    /// Keeps `outcome` if `run` has not returned yet: `false` once it has (post it instead).
    func keep(_ outcome: ExecutionOutcome) -> Bool {
        state.withLock { state in
            guard case .running = state else { return false }
            state = .reported(outcome)
            return true
        }
    }

    /// `run` has returned: the outcome it reported meanwhile, if any.
    func returned() -> ExecutionOutcome? {
        state.withLock { state in
            defer { state = .returned }
            guard case .reported(let outcome) = state else { return nil }
            return outcome
        }
    }
}
