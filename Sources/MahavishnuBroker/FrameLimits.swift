/// The largest frame each broker socket reads (`ZMQ_MAXMSGSIZE`): libzmq disconnects a peer that
/// sends more, before the frame is ever held in memory.
///
/// The frontend's limit sits well above `max_task_bytes`, so an oversized task still reaches the
/// router loop and gets a `too_large` reply; only a frame 16 times larger (and at least 1 MiB
/// more) costs the producer its connection. Pools check their results against
/// `max_result_bytes` themselves (WELCOME tells them), so the backend's limit only stops a pool
/// that ignores it.
enum FrameLimits {
    static func frontend(maxTaskBytes: Int) -> Int64 {
        let task = min(Int64(maxTaskBytes), Int64.max / 32)
        return max(task * 16, task + (1 << 20))
    }

    static func backend(maxResultBytes: Int) -> Int64 {
        min(Int64(maxResultBytes), Int64.max / 2) + (64 << 10)
    }
}

extension BusProxyConfiguration {
    /// A frame limit for bus publishers that admits any `task_completed` of a task and result
    /// within the broker's limits: both, escaped once more as JSON, and room for the rest.
    public static func maxMessageBytes(maxTaskBytes: Int, maxResultBytes: Int) -> Int64 {
        2 * (min(Int64(maxTaskBytes), Int64.max / 8) + min(Int64(maxResultBytes), Int64.max / 8)) + (64 << 10)
    }
}
