import MahavishnuProcess
#if canImport(Glibc)
import Glibc
#endif

/// When to end a child's process group: SIGTERM at the deadline (or at once when asked), then
/// SIGKILL once the grace period has passed.
struct TerminationSchedule {
    /// When SIGTERM is due; `nil` for no deadline.
    private(set) var deadline: ContinuousClock.Instant?
    let grace: Duration
    /// When SIGKILL is due, once SIGTERM has been sent.
    private(set) var killAt: ContinuousClock.Instant?
    /// SIGKILL was sent: the program outlived its grace period.
    private(set) var killed = false

    init(deadline: ContinuousClock.Instant?, grace: Duration) {
        self.deadline = deadline
        self.grace = grace
    }

    /// SIGTERM has been sent: the child is being ended.
    var ending: Bool { killAt != nil }

    /// Moves the deadline (a new task on a long-lived child); `nil` for none.
    mutating func reset(deadline: ContinuousClock.Instant?) {
        self.deadline = deadline
        killAt = nil
        killed = false
    }

    /// Ends the child now (the pool is stopping), unless that is already under way.
    mutating func endNow(_ child: ChildProcess) {
        guard !ending else { return }
        deadline = .now
        fire(child)
    }

    /// Sends the signals that are due to `child`'s process group.
    mutating func fire(_ child: ChildProcess) {
        let now = ContinuousClock.now
        if let killAt, now >= killAt, !killed {
            child.signalGroup(SIGKILL)
            killed = true
        } else if killAt == nil, let deadline, now >= deadline {
            child.signalGroup(SIGTERM)
            killAt = now + grace
        }
    }

    /// When the next signal is due; `nil` for none.
    var nextDue: ContinuousClock.Instant? {
        killed ? nil : (killAt ?? deadline)
    }
}
