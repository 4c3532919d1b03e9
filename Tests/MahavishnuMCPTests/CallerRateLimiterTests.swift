import Mahavishnu
import Testing
@testable import MahavishnuMCP

@Suite("Caller rate limit")
struct CallerRateLimiterTests {
    @Test("with limit 3 the 4th call in the window is refused with the wait; callers are apart; the window slides")
    func slidingWindow() throws {
        let limiter = CallerRateLimiter(quota: CallerQuota(enabled: true, limit: 3, windowSeconds: 10))
        let start = ContinuousClock.now
        for second in 0..<3 { #expect(limiter.admit("claude", now: start + .seconds(second)) == nil) }
        let wait = try #require(limiter.admit("claude", now: start + .seconds(4)))
        #expect(abs(wait - 6) < 0.001, "the oldest call leaves the window 10 s after it came")
        #expect(limiter.admit("qwen", now: start + .seconds(4)) == nil)
        #expect(limiter.admit("claude", now: start + .seconds(10)) == nil, "the first call has left the window")
        #expect(limiter.admit("claude", now: start + .seconds(10)) != nil, "a refused call was not counted, an admitted one was")
    }

    @Test("a disabled quota admits everything")
    func disabled() {
        let limiter = CallerRateLimiter(quota: CallerQuota(enabled: false, limit: 1, windowSeconds: 60))
        for _ in 0..<10 { #expect(limiter.admit("claude") == nil) }
    }
}
