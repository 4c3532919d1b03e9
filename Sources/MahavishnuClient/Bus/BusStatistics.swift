import MahavishnuCore
import Synchronization

/// What a `MessageBus` has sent and received, and what it lost, since it was created.
public struct BusStatistics: Codable, Sendable, Equatable {
    /// Messages handed to the publisher socket.
    public var published = 0
    /// `publish` calls dropped because the outbox was full: the publisher never waits.
    public var publishDropped = 0
    /// Bus messages that arrived (after ZeroMQ's filtering), not counting this bus's own probes.
    public var received = 0
    /// Messages that were sent but never arrived: gaps in the publishers' sequence numbers,
    /// from high-water marks met on the way (a slow subscriber, a busy proxy) or a broker restart.
    public var missed = 0
    /// Messages that arrived but found a subscription's buffer full (its consumer too slow).
    public var dropped = 0
    /// Arrivals that were not bus messages (wrong frames, unreadable JSON).
    public var malformed = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case published, publishDropped = "publish_dropped", received, missed, dropped, malformed
    }
}

/// The counters behind `BusStatistics`: written by the bus thread (and `publish`), read from anywhere.
final class BusCounters: Sendable {
    let published = Atomic<Int>(0)
    let publishDropped = Atomic<Int>(0)
    let received = Atomic<Int>(0)
    let missed = Atomic<Int>(0)
    let dropped = Atomic<Int>(0)
    let malformed = Atomic<Int>(0)
    /// `missed` and `dropped` by message type and source (the publisher's bus identity, a
    /// pool's id): touched only when something is lost, so a lock costs nothing on the way.
    private let lossesBySource = Mutex<[BusMessageType: [String: Int]]>([:])

    /// Counts `count` messages of `type` from `source` as lost (missed or dropped).
    func lost(_ count: Int, of type: BusMessageType, from source: String) {
        lossesBySource.withLock { $0[type, default: [:]][source, default: 0] += count }
    }

    /// Messages of `type` lost so far, by source.
    func losses(of type: BusMessageType) -> [String: Int] {
        lossesBySource.withLock { $0[type] ?? [:] }
    }

    var snapshot: BusStatistics {
        var statistics = BusStatistics()
        statistics.published = published.load(ordering: .relaxed)
        statistics.publishDropped = publishDropped.load(ordering: .relaxed)
        statistics.received = received.load(ordering: .relaxed)
        statistics.missed = missed.load(ordering: .relaxed)
        statistics.dropped = dropped.load(ordering: .relaxed)
        statistics.malformed = malformed.load(ordering: .relaxed)
        return statistics
    }
}
