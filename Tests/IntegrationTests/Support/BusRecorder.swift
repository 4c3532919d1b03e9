import Foundation
import Mahavishnu
import Synchronization

/// A real `MessageBus` connected to a deployment's bus, recording what one subscription receives.
final class BusRecorder: Sendable {
    let bus: MessageBus
    private let received = ReceivedMessages()
    private let consumer: Task<Void, Never>

    /// Connects as `identity`, subscribes to `types` in `scope`, and returns once the subscription is in effect.
    init(busPub: String, busSub: String, identity: String, types: Set<BusMessageType>, scope: BusScope) async throws {
        var configuration = MessageBusConfiguration()
        configuration.publishEndpoint = busPub
        configuration.subscribeEndpoint = busSub
        configuration.identity = identity
        bus = try MessageBus(configuration: configuration)
        let stream = bus.subscribe(to: types, scope: scope)
        let received = self.received
        consumer = Task { for await message in stream { received.list.withLock { $0.append(message) } } }
        do {
            try await bus.roundTrip()
        } catch {
            close()
            throw error
        }
    }

    convenience init(_ deployment: Deployment, identity: String = "recorder_\(UUID().uuidString.prefix(8))", types: Set<BusMessageType>, scope: BusScope = .all) async throws {
        try await self.init(busPub: deployment.busPub, busSub: deployment.busSub, identity: identity, types: types, scope: scope)
    }

    /// Everything received so far, in arrival order.
    var messages: [BusMessage] { received.list.withLock { $0 } }

    /// Waits until the messages received satisfy `condition`; returns them.
    @discardableResult
    func waitFor(_ what: String, timeout: Duration = .seconds(30), _ condition: @escaping @Sendable ([BusMessage]) -> Bool) async throws -> [BusMessage] {
        try await waitUntil(what, timeout: timeout) { condition(self.messages) }
        return messages
    }

    /// Waits until the subscription has been handed every message that reached this bus's
    /// socket: true only if ZeroMQ delivered nothing the subscription did not ask for.
    func waitUntilEveryArrivalWasWanted() async throws {
        try await bus.roundTrip()
        try await waitUntil("every arrival (\(bus.statistics.received)) to be one the subscription wanted (\(messages.count))") {
            self.messages.count == self.bus.statistics.received
        }
    }

    func close() {
        bus.close()
        consumer.cancel()
    }
}

/// Messages in arrival order, shared with the task that receives them.
final class ReceivedMessages: Sendable {
    let list = Mutex<[BusMessage]>([])
}

/// Publishes `status_update` probes from `bus` until `seen` reports one: how a test knows a
/// subscriber in another process (a `bus tail`) has a subscription in effect.
///
/// Each probe's reason is `marker` followed by its number; `seen` is given the marker.
func probe(from bus: MessageBus, marker: String = "probe-\(UUID().uuidString)", timeout: Duration = .seconds(30), until seen: @escaping @Sendable (String) -> Bool) async throws {
    try await withDeadline(timeout, what: "a subscriber to see probe \(marker)") {
        var number = 0
        while !seen(marker) {
            number += 1
            try bus.publish(.statusUpdate, payload: StatusUpdate(status: .note, reason: "\(marker)-\(number)"))
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
