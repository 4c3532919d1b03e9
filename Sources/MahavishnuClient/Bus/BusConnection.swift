import Foundation
import Logging
import MahavishnuCore
import Synchronization
import ZeroMQ

/// The socket side of a `MessageBus`: a PUB and a SUB socket owned by a `SocketLoop`, fed
/// through its mailbox, delivering to `AsyncStream` continuations.
final class BusConnection: Sendable {
    /// A message on its way out; its header and payload frames are encoded on the bus thread.
    struct Outgoing: Sendable {
        let type: BusMessageType
        let target: String?
        let encode: @Sendable () throws -> (header: [UInt8], payload: [UInt8])

        /// A message from `source` with `payload`, stamped now.
        init(_ type: BusMessageType, from source: String, to target: String?, payload: some Encodable & Sendable) {
            self.type = type
            self.target = target
            let header = BusHeader(type: type, sourcePoolID: source, targetPoolID: target, timestamp: Date())
            encode = { (try JSONCoding.encode(header), try JSONCoding.encode(payload)) }
        }

        /// `message` as it is.
        init(_ message: BusMessage) {
            type = message.type
            target = message.targetPoolID
            encode = { (try JSONCoding.encode(message.header), message.payloadJSON) }
        }
    }

    /// One `subscribe` call's stream and what it asked for.
    struct Subscription: Sendable {
        let id: Int
        let types: Set<BusMessageType>
        let scope: BusScope
        let continuation: AsyncStream<BusMessage>.Continuation
    }

    let configuration: MessageBusConfiguration
    let counters = BusCounters()
    private let loop: SocketLoop<BusSockets.Command>
    /// Publishes dropped for a full mailbox, by topic: each still takes its sequence number,
    /// so subscribers see the drop as a gap, as they see every other loss on the way.
    private let skipped: BusSkippedPublishes

    /// Connects in the background, on the bus's own thread.
    init(configuration: MessageBusConfiguration, logger: Logger) throws {
        if let problem = BusTopic.problem(withID: configuration.identity) { throw MessageBusError.invalidID(problem) }
        self.configuration = configuration
        let skipped = BusSkippedPublishes()
        self.skipped = skipped
        loop = SocketLoop(name: "mahavishnu.bus", handler: try BusSockets(configuration: configuration, counters: counters, skipped: skipped, logger: logger))
        loop.start()
    }

    /// Queues `outgoing`; drops it (and counts the drop) when `outboxLimit` commands wait already.
    func publish(_ outgoing: Outgoing) throws(MessageBusError) {
        switch loop.post(.publish(outgoing), ifFewerThan: configuration.outboxLimit) {
        case .accepted: break
        case .full:
            skipped.add(BusTopic.topic(outgoing.type, target: outgoing.target))
            counters.publishDropped.add(1, ordering: .relaxed)
        case .closed: throw .closed
        }
    }

    /// Adds a subscription; returns `false` if the bus is closed.
    func subscribe(_ subscription: Subscription) -> Bool {
        loop.post(.subscribe(subscription)) == .accepted
    }

    func unsubscribe(_ id: Int) {
        loop.post(.unsubscribe(id))
    }

    /// Waits until a probe sent after everything queued so far has come back through the proxy.
    func roundTrip(timeout: Duration) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            if loop.post(.roundTrip(deadline: .now + timeout, timeout: timeout, continuation: continuation)) != .accepted {
                continuation.resume(throwing: MessageBusError.closed)
            }
        }
    }

    /// Sends what is queued, finishes every subscription, closes the sockets and waits for the thread.
    func close() {
        loop.stop()
        try? loop.join()
    }
}

/// Publishes a full mailbox turned away, by topic, until the bus thread numbers them.
final class BusSkippedPublishes: Sendable {
    private let counts = Mutex<[[UInt8]: UInt64]>([:])

    func add(_ topic: [UInt8]) { counts.withLock { $0[topic, default: 0] += 1 } }

    func take() -> [[UInt8]: UInt64] {
        counts.withLock { counts in
            defer { counts.removeAll() }
            return counts
        }
    }
}

/// What a `BusConnection`'s thread owns: its sockets, subscriptions, probes and sequence numbers.
private final class BusSockets: SocketLoopHandler {
    enum Command: Sendable {
        case publish(BusConnection.Outgoing)
        case subscribe(BusConnection.Subscription)
        case unsubscribe(Int)
        case roundTrip(deadline: ContinuousClock.Instant, timeout: Duration, continuation: CheckedContinuation<Void, any Error>)
    }

    /// A `roundTrip` caller waiting for a probe numbered at least `probe` to come back.
    private struct ProbeWaiter {
        let probe: UInt64
        let deadline: ContinuousClock.Instant
        let timeout: Duration
        let continuation: CheckedContinuation<Void, any Error>
    }

    private let configuration: MessageBusConfiguration
    private let counters: BusCounters
    private let skipped: BusSkippedPublishes
    private let logger: Logger
    private let publisher: Socket
    private let subscriber: Socket
    private let frames = Frames(capacity: 8)
    /// This bus's id on the wire: its identity and a random instance tag, unique per process run.
    private let publisherID: [UInt8]
    /// The topic of this bus's probes of itself: `heartbeat` targeted at `publisherID`.
    private let probeTopic: [UInt8]
    private var subscriptions: [Int: BusConnection.Subscription] = [:]
    private var waiters: [ProbeWaiter] = []
    private var probesSent: UInt64 = 0
    private var lastProbe = ContinuousClock.now
    private var sequences: [[UInt8]: UInt64] = [:]
    private var tracker = BusSequenceTracker()
    private static let probeInterval = Duration.milliseconds(50)

    init(configuration: MessageBusConfiguration, counters: BusCounters, skipped: BusSkippedPublishes, logger: Logger) throws {
        self.configuration = configuration
        self.counters = counters
        self.skipped = skipped
        self.logger = logger
        let instance = String(UInt32.random(in: .min ... .max), radix: 16)
        let publisherID = "\(configuration.identity)#\(instance)"
        self.publisherID = Array(publisherID.utf8)
        probeTopic = BusTopic.topic(.heartbeat, target: publisherID)
        let context = try configuration.context ?? Context()
        publisher = try Socket(context, type: .pub, linger: 1_000)
        subscriber = try Socket(context, type: .sub, linger: 0)
        do {
            if let curve = configuration.curve {
                try publisher.becomeCurveClient(curve.keys, serverKey: curve.serverKey)
                try subscriber.becomeCurveClient(curve.keys, serverKey: curve.serverKey)
            }
            try publisher.set(.sendHighWaterMark, configuration.highWaterMark)
            try subscriber.set(.receiveHighWaterMark, configuration.highWaterMark)
            try subscriber.set(.subscribe, probeTopic)
            try publisher.connect(configuration.publishEndpoint)
            try subscriber.connect(configuration.subscribeEndpoint)
        } catch {
            publisher.close()
            subscriber.close()
            throw error
        }
    }

    func start(_ reactor: SocketReactor) {
        reactor.onReadable(subscriber) { [unowned self] in
            while try subscriber.receive(into: frames, dontWait: true) { deliver(frames) }
        }
    }

    func handle(_ commands: [Command]) throws {
        for command in commands { try perform(command) }
        // Dropped after every publish queued with them: the mailbox was full.
        for (topic, count) in skipped.take() { _ = nextSequence(on: topic, advancingBy: count) }
    }

    func beforeWait() throws {
        try probeIfWaiting()
    }

    var nextDeadline: ContinuousClock.Instant? {
        waiters.isEmpty ? nil : lastProbe + Self.probeInterval
    }

    func finish(after error: (any Error)?) {
        if let error { logger.error("bus socket failed", metadata: ["zmq.bus_pub": "\(configuration.publishEndpoint)", "error": "\(error)"]) }
        for subscription in subscriptions.values { subscription.continuation.finish() }
        subscriptions.removeAll()
        for waiter in waiters { waiter.continuation.resume(throwing: MessageBusError.closed) }
        waiters.removeAll()
        publisher.close()
        subscriber.close()
    }

    private func perform(_ command: Command) throws {
        switch command {
        case .publish(let outgoing):
            try send(outgoing)
        case .subscribe(let subscription):
            subscriptions[subscription.id] = subscription
            for prefix in prefixes(of: subscription) {
                try subscriber.set(.subscribe, prefix)
                tracker.forget(topicsStartingWith: prefix)
            }
        case .unsubscribe(let id):
            guard let subscription = subscriptions.removeValue(forKey: id) else { return }
            for prefix in prefixes(of: subscription) { try subscriber.set(.unsubscribe, prefix) }
        case .roundTrip(let deadline, let timeout, let continuation):
            try sendProbe()
            waiters.append(ProbeWaiter(probe: probesSent, deadline: deadline, timeout: timeout, continuation: continuation))
        }
    }

    private func prefixes(of subscription: BusConnection.Subscription) -> [[UInt8]] {
        subscription.types.flatMap { BusTopic.prefixes($0, scope: subscription.scope, identity: configuration.identity) }
    }

    /// Numbers `outgoing` on its topic and sends it without waiting: PUB drops rather than blocks.
    private func send(_ outgoing: BusConnection.Outgoing) throws {
        let frames: (header: [UInt8], payload: [UInt8])
        do {
            frames = try outgoing.encode()
        } catch {
            counters.publishDropped.add(1, ordering: .relaxed)
            return logger.error("cannot encode a bus message", metadata: ["bus.type": "\(outgoing.type.rawValue)", "error": "\(error)"])
        }
        let topic = BusTopic.topic(outgoing.type, target: outgoing.target)
        let envelope = BusEnvelope(topic: topic, publisher: publisherID, sequence: nextSequence(on: topic))
        let sent = try publisher.send(multipart: envelope.frames(header: frames.header, payload: frames.payload), dontWait: true)
        if sent { counters.published.add(1, ordering: .relaxed) } else { counters.publishDropped.add(1, ordering: .relaxed) }
    }

    /// Takes `count` sequence numbers on `topic`; returns the last.
    private func nextSequence(on topic: [UInt8], advancingBy count: UInt64 = 1) -> UInt64 {
        if sequences[topic] == nil && sequences.count >= tracker.capacity { sequences.removeAll(keepingCapacity: true) }
        let sequence = (sequences[topic] ?? BusEnvelope.firstSequence - 1) + count
        sequences[topic] = sequence
        return sequence
    }

    private func sendProbe() throws {
        probesSent += 1
        lastProbe = .now
        let target = String(decoding: publisherID, as: UTF8.self)
        try send(BusConnection.Outgoing(.heartbeat, from: configuration.identity, to: target, payload: Heartbeat(probe: probesSent)))
    }

    /// Re-sends a probe every `probeInterval` while someone waits (earlier ones may have met a
    /// subscription not yet in effect), and fails waiters whose time is up.
    private func probeIfWaiting() throws {
        guard !waiters.isEmpty else { return }
        let now = ContinuousClock.now
        waiters.removeAll { waiter in
            guard waiter.deadline <= now else { return false }
            waiter.continuation.resume(throwing: MessageBusError.noBus(publish: configuration.publishEndpoint, subscribe: configuration.subscribeEndpoint, after: waiter.timeout))
            return true
        }
        if !waiters.isEmpty && now - lastProbe >= Self.probeInterval { try sendProbe() }
    }

    /// Counts, decodes and hands one arrival to the subscriptions that asked for it.
    private func deliver(_ frames: Frames) {
        do throws(BusDecodingError) {
            let envelope = try BusEnvelope(frames: frames)
            // Counted before the message inside is read: one that is malformed still arrived.
            let missed = tracker.observe(publisher: envelope.publisher, topic: envelope.topic, sequence: envelope.sequence)
            if missed > 0 { counters.missed.add(missed, ordering: .relaxed) }
            let message = try envelope.message(in: frames)
            if missed > 0 { counters.lost(missed, of: message.type, from: message.sourcePoolID) }
            hand(message, in: envelope)
        } catch {
            counters.malformed.add(1, ordering: .relaxed)
            logger.debug("dropping a malformed bus message", metadata: ["zmq.bus_sub": "\(configuration.subscribeEndpoint)", "error.message": "\(error)"])
        }
    }

    /// Answers probe waiters with this bus's own probes; yields everything else to the subscriptions that want it.
    private func hand(_ message: BusMessage, in envelope: BusEnvelope) {
        if envelope.topic == probeTopic && envelope.publisher == publisherID {
            return answerWaiters(upTo: (try? message.payload(as: Heartbeat.self))?.probe ?? 0)
        }
        counters.received.add(1, ordering: .relaxed)
        for subscription in subscriptions.values where wants(subscription, message) {
            if case .dropped = subscription.continuation.yield(message) {
                counters.dropped.add(1, ordering: .relaxed)
                counters.lost(1, of: message.type, from: message.sourcePoolID)
            }
        }
    }

    private func wants(_ subscription: BusConnection.Subscription, _ message: BusMessage) -> Bool {
        guard subscription.types.contains(message.type) else { return false }
        switch subscription.scope {
        case .all: return true
        case .own: return message.targetPoolID == nil || message.targetPoolID == configuration.identity
        case .direct: return message.targetPoolID == configuration.identity
        }
    }

    private func answerWaiters(upTo probe: UInt64) {
        waiters.removeAll { waiter in
            guard waiter.probe <= probe else { return false }
            waiter.continuation.resume()
            return true
        }
    }
}
