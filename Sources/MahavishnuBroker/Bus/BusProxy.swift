import Logging
import MahavishnuCore
import Synchronization
import ZeroMQ

/// The inter-pool bus: an XSUB ⇄ XPUB proxy on a `SocketLoop` of its own.
///
/// Publishers connect PUB sockets to `publishEndpoint` (the XSUB); subscribers connect SUB
/// sockets to `subscribeEndpoint` (the XPUB). Subscriptions travel upstream, so each publisher
/// sends only what someone subscribed to; messages travel downstream unread. The XPUB's
/// high-water mark bounds what waits for each subscriber: past it, that subscriber misses
/// messages (its bus counts the gap) and nobody else waits.
///
/// Built bound and idle: `start()` runs it, `stop()` ends it (and closes its sockets, even if it never ran).
public final class BusProxy: ThreadLoop {
    /// The XSUB endpoint actually bound (with the port the OS chose for `:*`).
    public let publishEndpoint: String
    /// The XPUB endpoint actually bound.
    public let subscribeEndpoint: String
    /// The same two sides for clients in the broker's own process and ZeroMQ context (its
    /// memory aggregator, its event publisher): `inproc://`, so their messages skip TCP and the
    /// I/O thread. `inproc` has no handshake, so nothing outside the process can use them.
    public let inprocPublishEndpoint: String
    public let inprocSubscribeEndpoint: String
    /// The context both sides live in: in-process clients must use it to reach the `inproc` sides.
    public let context: Context
    private let counters = BusProxyCounters()
    private let loop: SocketLoop<Never>

    /// Binds both endpoints in `context`, as CURVE servers with `secretKey` if given (`zap`, in
    /// the same context, admits their peers and watches their handshakes); throws `BrokerError`
    /// (`.bindFailed`) naming the endpoint if one is malformed or in use.
    init(configuration: BusProxyConfiguration, context: Context, secretKey: String?, zap: ZapServer?, logger: Logger) throws {
        self.context = context
        let instance = String(UInt64.random(in: .min ... .max), radix: 16)
        inprocPublishEndpoint = "inproc://mahavishnu.bus_pub.\(instance)"
        inprocSubscribeEndpoint = "inproc://mahavishnu.bus_sub.\(instance)"
        let publishers = try Socket(context, type: .xsub, linger: 0)
        let subscribers = try Socket(context, type: .xpub, linger: 0)
        do {
            if let secretKey {
                try publishers.becomeCurveServer(secretKey: secretKey, zapDomain: ZapAuthenticator.Domain.bus.rawValue)
                try subscribers.becomeCurveServer(secretKey: secretKey, zapDomain: ZapAuthenticator.Domain.bus.rawValue)
            }
            if let zap {
                for (socket, name) in [(publishers, "bus_pub"), (subscribers, "bus_sub")] {
                    try socket.monitorHandshakeFailures(at: ZapServer.monitorEndpoint(name))
                    try zap.watchHandshakes(of: name)
                }
            }
            try publishers.set(.receiveHighWaterMark, configuration.highWaterMark)
            try publishers.set(.maxMessageSize, configuration.maxMessageBytes)
            try subscribers.set(.sendHighWaterMark, configuration.highWaterMark)
            try Self.bind(publishers, configuration.publish, side: "publish side (bus_pub)")
            try Self.bind(subscribers, configuration.subscribe, side: "subscribe side (bus_sub)")
            publishEndpoint = try publishers.lastEndpoint
            subscribeEndpoint = try subscribers.lastEndpoint
            try Self.bind(publishers, inprocPublishEndpoint, side: "in-process publish side")
            try Self.bind(subscribers, inprocSubscribeEndpoint, side: "in-process subscribe side")
        } catch {
            publishers.close()
            subscribers.close()
            throw error
        }
        let forwarder = BusForwarder(publishers: publishers, subscribers: subscribers, counters: counters, logger: logger,
                                     endpoints: (publishEndpoint, subscribeEndpoint))
        loop = SocketLoop(name: "mahavishnu.bus", handler: forwarder)
    }

    private static func bind(_ socket: Socket, _ endpoint: String, side: String) throws {
        do {
            try socket.bind(endpoint)
        } catch let error as ZMQError {
            throw BrokerError(code: .bindFailed, message: "cannot bind the bus \(side) to \(endpoint): \(error)")
        }
    }

    /// What the proxy has moved so far; safe from any thread.
    public var statistics: BusProxyStatistics { counters.statistics }

    public func start() { loop.start() }

    public func stop() { loop.stop() }

    public func finished() async throws { try await loop.finished() }
}

/// What the proxy has moved, counted on its thread and read from any.
private final class BusProxyCounters: Sendable {
    let forwarded = Atomic<Int>(0)
    let subscriptionChanges = Atomic<Int>(0)
    let malformed = Atomic<Int>(0)

    var statistics: BusProxyStatistics {
        BusProxyStatistics(
            messagesForwarded: forwarded.load(ordering: .relaxed),
            subscriptionChanges: subscriptionChanges.load(ordering: .relaxed),
            malformed: malformed.load(ordering: .relaxed)
        )
    }
}

/// The proxy's thread: moves messages down and subscriptions up, unread.
private final class BusForwarder: SocketLoopHandler {
    typealias Command = Never

    private let publishers: Socket
    private let subscribers: Socket
    private let counters: BusProxyCounters
    private let logger: Logger
    private let endpoints: (publish: String, subscribe: String)
    private let frames = Frames(capacity: 16)

    init(publishers: Socket, subscribers: Socket, counters: BusProxyCounters, logger: Logger, endpoints: (publish: String, subscribe: String)) {
        self.publishers = publishers
        self.subscribers = subscribers
        self.counters = counters
        self.logger = logger
        self.endpoints = endpoints
    }

    func start(_ reactor: SocketReactor) {
        logger.info("bus proxy running", metadata: ["zmq.bus_pub": "\(endpoints.publish)", "zmq.bus_sub": "\(endpoints.subscribe)"])
        reactor.onReadable(subscribers) { [unowned self] in try forward(from: subscribers, to: publishers, counter: counters.subscriptionChanges) }
        reactor.onReadable(publishers) { [unowned self] in try forward(from: publishers, to: subscribers, counter: counters.forwarded) }
    }

    func finish(after error: (any Error)?) {
        publishers.close()
        subscribers.close()
        let final = counters.statistics
        logger.info("bus proxy stopped", metadata: [
            "bus.forwarded": "\(final.messagesForwarded)", "bus.subscription_changes": "\(final.subscriptionChanges)", "bus.malformed": "\(final.malformed)",
        ])
    }

    /// Moves up to a batch of waiting messages without copying their frames; never blocks
    /// (XPUB and XSUB drop rather than wait).
    private func forward(from source: Socket, to destination: Socket, counter: borrowing Atomic<Int>) throws {
        for _ in 0..<1024 {
            guard try source.receive(into: frames, dontWait: true) else { return }
            guard !frames.overflowed else {
                counters.malformed.add(1, ordering: .relaxed)
                continue
            }
            for index in 0..<frames.count {
                try destination.send(frame: index, of: frames, more: index < frames.count - 1, dontWait: true)
            }
            counter.add(1, ordering: .relaxed)
        }
    }
}

/// Where the bus proxy listens.
public struct BusProxyConfiguration: Sendable {
    /// Where publishers connect (XSUB). Default `tcp://127.0.0.1:5557`; `:*` lets the OS pick a port.
    public var publish = "tcp://127.0.0.1:5557"
    /// Where subscribers connect (XPUB). Default `tcp://127.0.0.1:5558`.
    public var subscribe = "tcp://127.0.0.1:5558"
    /// Messages that may wait per publisher (XSUB) and per subscriber (XPUB) before new ones are dropped. Default 10,000.
    public var highWaterMark: Int32 = 10_000
    /// The largest frame a publisher may send; libzmq disconnects one that sends more. Default
    /// 64 MiB (a `task_completed` carries a task's prompt and result).
    public var maxMessageBytes: Int64 = 64 << 20

    public init() {}
}

/// Counters of a `BusProxy`.
public struct BusProxyStatistics: Sendable, Equatable {
    /// Messages passed from publishers to subscribers.
    public var messagesForwarded: Int
    /// Subscribe and unsubscribe messages passed from subscribers to publishers.
    public var subscriptionChanges: Int
    /// Messages of more than 16 frames, dropped.
    public var malformed: Int
}
