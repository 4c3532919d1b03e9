import Foundation
import Logging
import MahavishnuCore
import Synchronization

/// The inter-pool message bus: publish and subscribe through the broker's bus proxy.
///
/// Messages are addressed by type and, optionally, a target pool; ZeroMQ filters by topic
/// prefix, so a subscriber's socket never receives what it did not subscribe to. Publishing
/// never blocks: past a high-water mark messages are dropped and counted (`statistics`), and
/// subscribers count what they missed from gaps in each publisher's sequence numbers.
///
/// One dedicated thread owns the PUB and SUB sockets; callers never touch them. Call `close()`
/// when done.
///
/// - Important: a new subscription takes a moment to reach the publishers (ZeroMQ's "slow
///   joiner"). Call `roundTrip(timeout:)` after `subscribe(to:)` to wait until it is in effect.
public final class MessageBus: Sendable {
    /// This bus's id: the source of what it publishes, and the target it receives.
    public var identity: String { connection.configuration.identity }
    /// Where this bus connects.
    public var configuration: MessageBusConfiguration { connection.configuration }
    private let connection: BusConnection
    private let nextSubscription = Mutex(0)

    /// Connects (in the background: the broker need not be up yet).
    ///
    /// Throws `MessageBusError.invalidID` when `configuration.identity` cannot be a bus id.
    public init(configuration: MessageBusConfiguration = MessageBusConfiguration(), logger: Logger = Logger(label: "mahavishnu.bus")) throws {
        connection = try BusConnection(configuration: configuration, logger: logger)
    }

    /// Publishes `message` as it is (its `sourcePoolID` included). Never blocks.
    ///
    /// Throws `.invalidID` for a target that cannot be addressed, `.closed` after `close()`.
    public func publish(_ message: BusMessage) throws(MessageBusError) {
        try validate(target: message.targetPoolID)
        try connection.publish(BusConnection.Outgoing(message))
    }

    /// Publishes a message of `type` from this bus with `payload`, for `target` or everyone.
    ///
    /// The payload is encoded on the bus thread, not the caller's. Never blocks.
    public func publish(_ type: BusMessageType, payload: some Encodable & Sendable, target: String? = nil) throws(MessageBusError) {
        try validate(target: target)
        try connection.publish(BusConnection.Outgoing(type, from: identity, to: target, payload: payload))
    }

    /// The messages of `types` (every type when empty) in `scope`, from now until `close()` or
    /// until the stream is dropped.
    ///
    /// The stream buffers `subscriptionBuffer` messages for a slow consumer; beyond that it drops
    /// new ones and counts them in `statistics.dropped`.
    public func subscribe(to types: Set<BusMessageType>, scope: BusScope = .own) -> AsyncStream<BusMessage> {
        let id = nextSubscription.withLock { next in
            next += 1
            return next
        }
        let (stream, continuation) = AsyncStream.makeStream(of: BusMessage.self, bufferingPolicy: .bufferingOldest(configuration.subscriptionBuffer))
        let connection = self.connection
        continuation.onTermination = { _ in connection.unsubscribe(id) }
        let subscription = BusConnection.Subscription(
            id: id, types: types.isEmpty ? Set(BusMessageType.allCases) : types, scope: scope, continuation: continuation
        )
        if !connection.subscribe(subscription) { continuation.finish() }
        return stream
    }

    /// Waits until a probe this bus sends itself has come back through the broker's bus.
    ///
    /// When it returns, every subscription made before the call is in effect, and every message
    /// published before it has passed the broker's proxy. Throws `.noBus` after `timeout`.
    public func roundTrip(timeout: Duration = .seconds(5)) async throws {
        try await connection.roundTrip(timeout: timeout)
    }

    /// What this bus has sent, received and lost so far.
    public var statistics: BusStatistics { connection.counters.snapshot }

    /// Messages of `type` this bus lost so far (`statistics.missed` and `.dropped`), by source:
    /// the `source_pool_id` of their publisher, a pool's id for the pools' events.
    ///
    /// A message lost on the way is counted when the next one of its type from the same
    /// publisher arrives (the gap in their sequence numbers shows it).
    public func losses(of type: BusMessageType) -> [String: Int] {
        connection.counters.losses(of: type)
    }

    /// Sends what is queued, finishes every subscription's stream, closes the sockets and stops
    /// the thread. Calling it again does nothing.
    public func close() {
        connection.close()
    }

    private func validate(target: String?) throws(MessageBusError) {
        if let target, let problem = BusTopic.problem(withID: target) { throw .invalidID(problem) }
    }
}
