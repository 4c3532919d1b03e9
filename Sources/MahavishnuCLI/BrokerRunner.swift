import Foundation
import Logging
import Mahavishnu
import MahavishnuMemory
import MahavishnuBroker
import MahavishnuCommandCore
import MahavishnuCore
import Synchronization

/// Runs a broker in the foreground for `broker` and `up`: its message bus, its memory
/// aggregator (when `memory_aggregation_enabled`) and its router; prints where it listens and
/// each pool as it comes and goes, reloads the allow-list on SIGHUP, and drains on SIGTERM or Ctrl-C.
enum BrokerRunner {
    static func run(_ base: BrokerConfiguration, settings: Settings, logging: LoggingOptions) async throws {
        let logger = logging.bootstrap(label: "mahavishnu.broker")
        if base.insecure && base.security == nil {
            logger.warning("running with --insecure: endpoints are not encrypted and anyone who can reach them can submit tasks and register pools; see docs/security.md")
        }
        var configuration = base
        var busConfiguration = BusProxyConfiguration()
        busConfiguration.publish = settings.brokerBusPub
        busConfiguration.subscribe = settings.brokerBusSub
        busConfiguration.highWaterMark = Int32(clamping: settings.busHighWaterMark)
        busConfiguration.maxMessageBytes = BusProxyConfiguration.maxMessageBytes(maxTaskBytes: settings.maxTaskBytes, maxResultBytes: settings.maxResultBytes)
        configuration.bus = busConfiguration
        configuration.memoryDatabasePath = settings.memoryAggregationEnabled ? settings.memoryDatabaseFile : nil
        let events = EventRelay()
        configuration.onEvent = { event in
            announce(describe(event))
            events.publish(event)
        }
        let broker = try Broker(configuration: configuration, logger: logger)
        defer { broker.close() }
        let proxy = broker.bus!
        let proxyLoop = Task {
            try await BlockingLoopService(name: "mahavishnu.bus", loop: { try proxy.run() }, stop: { proxy.stop() }).run()
        }
        do {
            var bound = settings
            bound.brokerBusPub = proxy.publishEndpoint
            bound.brokerBusSub = proxy.subscribeEndpoint
            try await runBroker(broker, proxy: proxy, events: events, settings: bound, logger: logger)
        } catch {
            proxy.stop()
            _ = try? await proxyLoop.value
            throw error
        }
        proxy.stop()
        try await proxyLoop.value
        announce("broker stopped")
    }

    /// Runs the router (and the aggregator) once the bus proxy is up at `settings`' bus endpoints.
    ///
    /// The broker's own bus clients, its event publisher and its memory aggregator, reach the
    /// proxy in-process: every result the aggregator stores would otherwise cross TCP twice
    /// inside the broker.
    private static func runBroker(_ broker: Broker, proxy: BusProxy, events: EventRelay, settings: Settings, logger: Logger) async throws {
        let bus = try MessageBus(configuration: MessageBusConfiguration(settings: settings, identity: "broker").inProcess(with: proxy), logger: logger)
        defer { bus.close() }
        try await bus.roundTrip()
        events.connect(bus)
        var memory = MemoryAggregatorConfiguration(settings: settings)
        memory.bus = memory.bus.inProcess(with: proxy)
        let aggregator = try settings.memoryAggregationEnabled ? MemoryAggregator(configuration: memory, logger: logger) : nil
        // Subscribed before any pool can start, so no result goes unstored.
        try await aggregator?.start()
        let reloader = reloadOnHangUp(broker, logger: logger)
        defer { reloader.cancel() }
        let stored = aggregator.map { "memory=\($0.store.path)" } ?? "memory=off"
        let ready = "broker ready frontend=\(broker.frontendEndpoint) backend=\(broker.backendEndpoint) bus_pub=\(settings.brokerBusPub) bus_sub=\(settings.brokerBusSub) \(stored)\(broker.internalKeys == nil ? "" : " curve=on")"
        let router = BlockingLoopService(name: "mahavishnu.router", loop: { try broker.run() }, stop: { broker.stop() }, started: { announce(ready) })
        // Stopped in reverse: the router drains first, then the aggregator stores what the pools reported.
        try await runUntilSignalled((aggregator.map { [$0] } ?? []) + [router], logger: logger)
        // What the broker published last has passed the proxy before it stops.
        try? await bus.roundTrip(timeout: .seconds(2))
    }

    /// The line printed for each pool coming and going.
    private static func describe(_ event: BrokerEvent) -> String {
        switch event {
        case .poolRegistered(let pool):
            "pool ready name=\(pool.name) id=\(pool.poolID) workers=\(pool.workers) pid=\(pool.pid) host=\(pool.host)"
        case .poolRemoved(let poolID, let name, let reason):
            "pool stopped name=\(name) id=\(poolID): \(reason)"
        case .spawnFailed(let name, let reason):
            "pool failed name=\(name): \(reason)"
        case .poolLost(let poolID, let name, let reason):
            "pool lost name=\(name) id=\(poolID): \(reason)"
        case .poolScaled(let poolID, let name, let from, let to, let reason):
            "pool scaled name=\(name) id=\(poolID) from=\(from) to=\(to): \(reason)"
        case .poolRestarting(let poolID, let name, let after):
            "pool restarting name=\(name) id=\(poolID) in \(after)"
        case .draining:
            "broker draining: no new tasks; waiting for running tasks and pools to finish"
        }
    }
}

/// Hands the broker's events (raised on its router thread) to the bus once it is connected.
final class EventRelay: Sendable {
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

/// Reloads the broker's allow-list whenever the process receives SIGHUP.
private func reloadOnHangUp(_ broker: Broker, logger: Logger) -> any DispatchSourceSignal {
    signal(SIGHUP, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
    source.setEventHandler {
        do {
            try broker.reloadAllowList()
            announce("allow-list reloaded")
        } catch {
            logger.error("allow-list not reloaded; the previous one stays in force", metadata: ["error": "\(error)"])
        }
    }
    source.resume()
    return source
}

extension BrokerConfiguration {
    /// A configuration from settings, able to start pools with `mahavishnu-pool` next to this
    /// executable (and `session-buddy` pools with this executable's `pool run`).
    init(settings: Settings, settingsFile: String?) throws {
        self.init()
        if let keysDir = settings.brokerKeysDir, let allowList = settings.brokerAllowList {
            security = BrokerSecurity(keys: try CurveKeyFiles.keyPair(in: keysDir, name: CurveKeyFiles.brokerName), allowListFile: allowList)
        }
        frontend = settings.brokerFrontend
        backend = settings.brokerBackend
        queueBound = settings.brokerQueueBound
        queueBytes = settings.brokerQueueBytes
        maxTaskBytes = settings.maxTaskBytes
        maxResultBytes = settings.maxResultBytes
        producerHighWaterMark = Int32(clamping: settings.producerHighWaterMark)
        defaultSelector = settings.poolRoutingStrategy
        heartbeatInterval = .milliseconds(settings.heartbeatIntervalMs)
        heartbeatLiveness = settings.heartbeatLiveness
        retryBudget = settings.taskRetryBudget
        affinityWait = .milliseconds(Int(settings.affinityWaitSeconds * 1000))
        resultCacheSize = settings.resultCacheSize
        resultCacheBytes = settings.resultCacheBytes
        if settings.journalMode != .off {
            journal = JournalConfiguration(mode: settings.journalMode, path: settings.journalFile, directory: Settings.stateDirectory,
                                           retention: .milliseconds(Int(settings.journalRetentionSeconds * 1000)))
        }
        autoscaleCooldown = .milliseconds(Int(settings.autoscaleCooldownSeconds * 1000))
        workerTypeNames = settings.workerTypes.names
        poolsEnabled = settings.poolsEnabled
        workersEnabled = settings.workersEnabled
        poolExecutables = PoolExecutables(besideMahavishnu: currentExecutable())
        self.settingsFile = settingsFile.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
    }
}

/// This process's executable, so the broker can start pools from the same build.
func currentExecutable() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
}
