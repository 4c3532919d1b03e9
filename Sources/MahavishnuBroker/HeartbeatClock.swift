/// When the next heartbeat is due, and when a silent peer counts as dead.
struct HeartbeatClock {
    let interval: Duration
    /// Heartbeats a peer may miss before it is declared dead.
    let liveness: Int
    private(set) var nextTick: ContinuousClock.Instant

    init(interval: Duration, liveness: Int) {
        self.interval = interval
        self.liveness = liveness
        nextTick = .now + interval
    }

    /// Silence longer than this means the peer is dead.
    var deadline: Duration { interval * liveness }

    /// Whether a tick is due at `now`; if so, schedules the next one.
    mutating func tick(_ now: ContinuousClock.Instant) -> Bool {
        guard now >= nextTick else { return false }
        nextTick = now + interval
        return true
    }
}
