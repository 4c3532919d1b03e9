import Prometheus

/// What one bus client inside the broker (its event publisher, its memory aggregator) lost, as
/// its `MessageBus` counts it: a scrape copies these into `mahavishnu_bus_messages_lost_total`.
public struct BusLosses: Sendable, Equatable {
    /// Messages that never arrived: gaps in their publishers' sequence numbers.
    public var missed: Int
    /// Messages that arrived to a subscription whose buffer was full.
    public var dropped: Int
    /// The client's own messages dropped before sending, its outbox full.
    public var publishDropped: Int

    public init(missed: Int, dropped: Int, publishDropped: Int) {
        self.missed = missed
        self.dropped = dropped
        self.publishDropped = publishDropped
    }

    /// The reasons, as the metric labels them, in the order of `counts`.
    static let reasons = ["missed", "dropped", "publish_dropped"]

    var counts: [Int] { [missed, dropped, publishDropped] }
}

/// A bus client `BrokerMetrics` reads at each scrape: how to read its losses, their counters,
/// and what was copied in last.
struct WatchedBusClient {
    let read: @Sendable () -> BusLosses
    let counters: [Counter]
    var exported = BusLosses(missed: 0, dropped: 0, publishDropped: 0)

    /// Adds what `read` counted since the last scrape.
    mutating func copy() {
        let current = read()
        for (counter, (now, before)) in zip(counters, zip(current.counts, exported.counts)) where now > before {
            counter.increment(by: Int64(now - before))
        }
        exported = current
    }
}
