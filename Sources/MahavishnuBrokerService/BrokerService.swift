import Logging
import MahavishnuBroker
import MahavishnuHTTP
import MahavishnuClient
import MahavishnuCore
import MahavishnuMemory
import ServiceLifecycle
import Synchronization

/// A whole broker as one lifecycle `Service`: the router loop, its message bus proxy, the
/// broker's own in-process bus client (its events), and the memory aggregator when
/// `memory_aggregation_enabled`, run as an inner `ServiceGroup` and stopped in the right order
/// on graceful shutdown: the router drains first, then the aggregator stores what the pools
/// reported, then the proxy stops.
///
/// Its sockets are bound by `init`, so `endpoints` holds the ports the OS chose for `:*`.
/// `mahavishnu broker` and `up` run it until SIGTERM; tests and programs use `withBroker`.
public final class BrokerService: Service, Sendable {
    /// Where it listens, once bound.
    public let endpoints: BrokerEndpoints
    private let broker: Broker
    private let proxy: BusProxy
    /// The HTTP listener serving `/metrics` and the dashboard; `nil` with `broker_http: off`.
    private let http: HTTPServer?
    private let routes: BrokerHTTPRoutes?
    private let settings: Settings
    private let logger: Logger
    private let relay: EventRelay
    private let ready: @Sendable (BrokerEndpoints) -> Void

    /// Binds the broker's sockets (and its bus's) for `configuration`, with the bus and memory
    /// settings of `settings`; throws if an endpoint is malformed or in use, or a journal cannot be read.
    ///
    /// `events` hears each pool come and go (on the router thread: keep it short); `ready` is
    /// called once the router serves.
    public init(
        configuration: BrokerConfiguration, settings: Settings, logger: Logger,
        events: @escaping @Sendable (BrokerEvent) -> Void = { _ in },
        ready: @escaping @Sendable (BrokerEndpoints) -> Void = { _ in }
    ) throws {
        var configuration = configuration
        var bus = BusProxyConfiguration()
        bus.publish = settings.brokerBusPub
        bus.subscribe = settings.brokerBusSub
        bus.highWaterMark = Int32(clamping: settings.busHighWaterMark)
        bus.maxMessageBytes = BusProxyConfiguration.maxMessageBytes(maxTaskBytes: settings.maxTaskBytes, maxResultBytes: settings.maxResultBytes)
        configuration.bus = bus
        configuration.memoryDatabasePath = settings.memoryAggregationEnabled ? settings.memoryDatabaseFile : nil
        let relay = EventRelay()
        configuration.onEvent = { event in
            events(event)
            relay.publish(event)
        }
        broker = try Broker(configuration: configuration, logger: logger)
        guard let proxy = broker.bus else {
            broker.stop()
            throw BrokerServiceError("the broker started without its message bus")
        }
        self.proxy = proxy
        do {
            (http, routes) = try Self.serveHTTP(broker: broker, settings: settings, memoryDatabase: configuration.memoryDatabasePath, logger: logger)
        } catch {
            broker.stop()
            throw BrokerServiceError("cannot serve broker_http \(settings.brokerHTTP): \(error)")
        }
        var bound = settings
        bound.brokerBusPub = proxy.publishEndpoint
        bound.brokerBusSub = proxy.subscribeEndpoint
        self.settings = bound
        self.relay = relay
        self.logger = logger
        self.ready = ready
        endpoints = BrokerEndpoints(
            frontend: broker.frontendEndpoint, backend: broker.backendEndpoint,
            busPublish: proxy.publishEndpoint, busSubscribe: proxy.subscribeEndpoint,
            memoryDatabase: configuration.memoryDatabasePath, curve: broker.internalKeys != nil, http: http?.address,
            httpTokenFile: routes?.tokenFile
        )
    }

    /// The HTTP listener of `broker_http`, bound, with its routes; none when it is `off`.
    private static func serveHTTP(broker: Broker, settings: Settings, memoryDatabase: String?, logger: Logger) throws -> (HTTPServer?, BrokerHTTPRoutes?) {
        guard let address = try HTTPListenAddress.parse(settings.brokerHTTP) else { return (nil, nil) }
        let box = RoutesBox()
        let server = try HTTPServer(host: address.host, port: address.port, logger: logger) { request in
            guard let routes = box.routes.withLock({ $0 }) else { return HTTPResponse(.serviceUnavailable, text: "starting\n") }
            return await routes.answer(request)
        }
        do {
            let token = try AdminToken(file: AdminToken.file(settings, port: server.port))
            let client = try BrokerClient(endpoint: broker.frontendEndpoint, retryInterval: nil, curve: broker.dashboardKeys, logger: logger)
            let routes = BrokerHTTPRoutes(metrics: broker.metrics, token: token, client: client, memoryDatabase: memoryDatabase)
            box.routes.withLock { $0 = routes }
            return (server, routes)
        } catch {
            server.closeNow()
            throw error
        }
    }

    /// Re-reads the allow-list file (on SIGHUP): new handshakes see the change, live connections stay.
    public func reloadAllowList() throws {
        try broker.reloadAllowList()
    }

    /// Runs until graceful shutdown (or until the router fails); closes every socket before it returns.
    public func run() async throws {
        // Not one of the group's services: the router drains through the proxy, which stops
        // only once the router and aggregator have.
        proxy.start()
        do {
            try await runOnBus()
        } catch {
            broker.stop()
            proxy.stop()
            try? await proxy.finished()
            await http?.close()
            routes?.close()
            throw error
        }
        proxy.stop()
        await http?.close()
        routes?.close()
        try await proxy.finished()
    }

    /// Runs the router (and the aggregator) once the bus proxy is up.
    ///
    /// The broker's own bus clients, its event publisher and its memory aggregator, reach the
    /// proxy in-process: every result the aggregator stores would otherwise cross TCP twice
    /// inside the broker.
    private func runOnBus() async throws {
        let bus = try MessageBus(configuration: MessageBusConfiguration(settings: settings, identity: "broker").inProcess(with: proxy), logger: logger)
        defer { bus.close() }
        try await bus.roundTrip()
        relay.connect(bus)
        var memory = MemoryAggregatorConfiguration(settings: settings)
        memory.bus = memory.bus.inProcess(with: proxy)
        let aggregator = try settings.memoryAggregationEnabled ? MemoryAggregator(configuration: memory, logger: logger) : nil
        broker.metrics.watchBusClient("broker") { bus.statistics.losses }
        if let aggregator { broker.metrics.watchBusClient("memory") { aggregator.busStatistics.losses } }
        // Subscribed before any pool can start, so no result goes unstored.
        try await aggregator?.start()
        let broker = self.broker, endpoints = self.endpoints, ready = self.ready
        let router = LoopService(broker, started: { ready(endpoints) })
        // Stopped in reverse: the router drains first, then the aggregator stores what the pools reported.
        let services: [any Service] = (aggregator.map { [$0] } ?? []) + [router]
        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) },
            logger: logger
        ))
        try await group.run()
        // What the broker published last has passed the proxy before it stops.
        try? await bus.roundTrip(timeout: .seconds(2))
    }
}

/// Runs a broker for `configuration` while `body` runs, then drains and stops it, as SIGTERM
/// stops `mahavishnu broker`: for programs and tests that embed a broker. `body` is given where
/// it listens, once it serves.
public func withBroker<Result>(
    configuration: BrokerConfiguration, settings: Settings = Settings(), logger: Logger = Logger(label: "mahavishnu.broker"),
    events: @escaping @Sendable (BrokerEvent) -> Void = { _ in },
    _ body: (BrokerEndpoints) async throws -> Result
) async throws -> Result {
    let (serving, servingContinuation) = AsyncStream.makeStream(of: BrokerEndpoints.self)
    let service = try BrokerService(configuration: configuration, settings: settings, logger: logger, events: events, ready: { endpoints in
        servingContinuation.yield(endpoints)
        servingContinuation.finish()
    })
    let group = ServiceGroup(configuration: .init(services: [.init(service: service)], logger: logger))
    return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { tasks in
        tasks.addTask {
            defer { servingContinuation.finish() }
            try await group.run()
        }
        var served = false
        for await _ in serving { served = true }
        guard served else {
            try await tasks.waitForAll()
            throw BrokerServiceError("the broker stopped before it served")
        }
        do {
            let result = try await body(service.endpoints)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
    }
}

/// Where a running broker listens (with the ports the OS chose for `:*`).
public struct BrokerEndpoints: Sendable, Equatable {
    public let frontend: String
    public let backend: String
    /// The message bus: publishers connect here…
    public let busPublish: String
    /// …and subscribers here.
    public let busSubscribe: String
    /// The memory store's database, when memory aggregation is on.
    public let memoryDatabase: String?
    /// Whether CURVE is on.
    public let curve: Bool
    /// The HTTP listener's `host:port` (`/metrics`, the dashboard), or `nil` when `broker_http` is off.
    public let http: String?
    /// The file holding the dashboard's admin token (its actions need it).
    public let httpTokenFile: String?
}

/// The routes, for the HTTP server's handler, once they exist (the token file needs the port bound first).
private final class RoutesBox: Sendable {
    let routes = Mutex<BrokerHTTPRoutes?>(nil)
}

/// A broker that could not be assembled.
public struct BrokerServiceError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Hands the broker's events (raised on its router thread) to the bus once it is connected.
private final class EventRelay: Sendable {
    private let bus = Mutex<MessageBus?>(nil)

    func connect(_ messageBus: MessageBus) { bus.withLock { $0 = messageBus } }

    func publish(_ event: BrokerEvent) {
        guard let messageBus = bus.withLock({ $0 }) else { return }
        let publication = event.busPublication
        try? messageBus.publish(publication.type, payload: publication.payload)
    }
}

extension MessageBusConfiguration {
    /// This configuration on `proxy`'s `inproc://` endpoints, in its context. No CURVE keys:
    /// an `inproc` connection has no handshake, and only this process can make one.
    func inProcess(with proxy: BusProxy) -> MessageBusConfiguration {
        var configuration = self
        configuration.publishEndpoint = proxy.inprocPublishEndpoint
        configuration.subscribeEndpoint = proxy.inprocSubscribeEndpoint
        configuration.context = proxy.context
        configuration.curve = nil
        return configuration
    }
}

extension BusStatistics {
    /// What the metrics count of these as lost.
    var losses: BusLosses { BusLosses(missed: missed, dropped: dropped, publishDropped: publishDropped) }
}
