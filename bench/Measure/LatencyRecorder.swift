import Histogram

/// Round-trip times in an HDR histogram (nanoseconds, three significant digits).
struct LatencyRecorder {
    private var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000_000, numberOfSignificantValueDigits: .three)

    mutating func record(nanoseconds: UInt64) {
        _ = histogram.record(nanoseconds)
    }

    /// The percentiles, in microseconds, and the distribution for the plot.
    func summary() -> LatencySummary {
        let microseconds = { (nanoseconds: UInt64) in Double(nanoseconds) / 1_000 }
        var distribution: [LatencySummary.Point] = []
        for step in histogram.percentiles(ticksPerHalfDistance: 5) {
            let point = LatencySummary.Point(percentile: step.percentileLevelIteratedTo, microseconds: microseconds(step.value))
            if distribution.last?.percentile != point.percentile { distribution.append(point) }
            if step.percentileLevelIteratedTo >= 100 { break }
        }
        return LatencySummary(
            samples: Int(histogram.totalCount),
            p50: microseconds(histogram.valueAtPercentile(50)),
            p90: microseconds(histogram.valueAtPercentile(90)),
            p99: microseconds(histogram.valueAtPercentile(99)),
            max: microseconds(histogram.max),
            mean: histogram.mean / 1_000,
            distribution: distribution
        )
    }
}

/// Sequential round-trip latency, in microseconds.
struct LatencySummary: Codable {
    /// One step of the percentile distribution: `percentile` % of round trips took at most `microseconds`.
    struct Point: Codable {
        let percentile: Double
        let microseconds: Double
    }

    let samples: Int
    let p50: Double
    let p90: Double
    let p99: Double
    let max: Double
    let mean: Double
    let distribution: [Point]
}
