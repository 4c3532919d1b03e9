import Mahavishnu
import Synchronization

/// The per-caller rate limit (`caller_quota`): each caller kind may make `limit` calls in any
/// window of `window_seconds`. Every admitted call is counted exactly once, when it arrives; a
/// refused call is not counted.
final class CallerRateLimiter: Sendable {
    let quota: CallerQuota
    /// When each caller's recent admitted calls arrived, oldest first.
    private let calls = Mutex<[String: [ContinuousClock.Instant]]>([:])

    init(quota: CallerQuota) {
        self.quota = quota
    }

    /// Admits and counts a call of `caller`, or returns how many seconds until one would be admitted.
    func admit(_ caller: String, now: ContinuousClock.Instant = .now) -> Double? {
        guard quota.enabled else { return nil }
        let window = Duration.milliseconds(Int64(quota.windowSeconds * 1000))
        return calls.withLock { calls in
            var recent = calls[caller, default: []]
            recent.removeAll { now - $0 >= window }
            defer { calls[caller] = recent }
            if recent.count >= quota.limit {
                let wait = recent[0] + window - now
                return wait.seconds
            }
            recent.append(now)
            return nil
        }
    }
}
