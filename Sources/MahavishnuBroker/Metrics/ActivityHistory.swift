import Foundation

/// The last 15 minutes of finished tasks, in 10-second buckets: how many finished, how many of
/// those failed or timed out, and their latency (arrival at the broker to result), kept as
/// counts in power-of-two millisecond bins so a bucket's p50 and p99 cost no list of samples.
///
/// The router loop records into it; once per heartbeat tick it publishes a snapshot for the
/// dashboard (`BrokerMetrics.overview`).
struct ActivityHistory {
    static let bucketSeconds = 10
    static let bucketCount = 90
    /// Bin `i` holds latencies up to 2^i / 8 ms: 0.125 ms to about 36 hours.
    static let binCount = 40

    private struct Bucket {
        var start = 0
        var finished = 0
        var failed = 0
        var bins = [Int](repeating: 0, count: ActivityHistory.binCount)
    }

    private var buckets = [Bucket](repeating: Bucket(), count: bucketCount)

    /// A task finished at `epochSeconds` after `latency`; `failed` for failed and timed-out ones.
    mutating func record(failed: Bool, latency: Duration, at epochSeconds: Int) {
        let start = epochSeconds - epochSeconds % Self.bucketSeconds
        let index = (start / Self.bucketSeconds) % Self.bucketCount
        if buckets[index].start != start { buckets[index] = Bucket(start: start) }
        buckets[index].finished += 1
        if failed { buckets[index].failed += 1 }
        buckets[index].bins[Self.bin(of: latency)] += 1
    }

    /// The buckets of the last 15 minutes to `epochSeconds`, oldest first, empty ones included.
    func snapshot(at epochSeconds: Int) -> [ActivityBucket] {
        let newest = epochSeconds - epochSeconds % Self.bucketSeconds
        return (0..<Self.bucketCount).reversed().map { age in
            let start = newest - age * Self.bucketSeconds
            let bucket = buckets[(start / Self.bucketSeconds) % Self.bucketCount]
            guard bucket.start == start else { return ActivityBucket(start: start, finished: 0, failed: 0, p50Ms: nil, p99Ms: nil) }
            return ActivityBucket(start: start, finished: bucket.finished, failed: bucket.failed,
                                  p50Ms: Self.percentile(0.5, of: bucket), p99Ms: Self.percentile(0.99, of: bucket))
        }
    }

    private static func bin(of latency: Duration) -> Int {
        let eighths = max(1, Int((latency / .microseconds(125)).rounded(.up)))
        let bin = Int.bitWidth - (eighths - 1).leadingZeroBitCount
        return min(bin, binCount - 1)
    }

    /// The upper bound, in milliseconds, of the bin holding the `fraction` quantile.
    private static func percentile(_ fraction: Double, of bucket: Bucket) -> Double? {
        guard bucket.finished > 0 else { return nil }
        let rank = Int((Double(bucket.finished) * fraction).rounded(.up))
        var seen = 0
        for (bin, count) in bucket.bins.enumerated() {
            seen += count
            if seen >= rank { return Double(1 << bin) / 8 }
        }
        return nil
    }
}

/// Ten seconds of finished tasks, as the dashboard shows them.
public struct ActivityBucket: Codable, Sendable, Equatable {
    /// The bucket's first second, since 1970.
    public let start: Int
    public let finished: Int
    /// Of those, the ones that failed or timed out.
    public let failed: Int
    /// Latency from arrival to result, in milliseconds (the upper bound of its power-of-two bin); `nil` with no task.
    public let p50Ms: Double?
    public let p99Ms: Double?

    enum CodingKeys: String, CodingKey { case start, finished, failed, p50Ms = "p50_ms", p99Ms = "p99_ms" }
}
