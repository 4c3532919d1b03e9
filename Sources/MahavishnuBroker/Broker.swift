import Logging
import MahavishnuCore
import ZeroMQ

/// The broker process's core, assembled: binds the frontend, backend and bus, builds the
/// router loop's collaborators (CURVE keys, ZAP, journal, supervisor) and hands them to it.
///
/// Built bound and idle: `start()` runs the router on a thread of its own, `stop()` drains it,
/// and `finished()` waits until it has closed its sockets. The bus proxy is its owner's to start
/// and stop.
public final class Broker: ThreadLoop {
    /// The endpoints actually bound (with the ports the OS chose for `:*`).
    public let frontendEndpoint: String
    /// Its Prometheus metrics, for an HTTP listener to expose (`BrokerMetrics.exposition()`).
    public let metrics = BrokerMetrics()
    public let backendEndpoint: String
    /// The message bus proxy (bound, not yet running), when the configuration asked for one.
    ///
    /// - Important: start and stop it yourself, stopping it after the broker.
    public let bus: BusProxy?
    /// Keys for the pools the broker starts when CURVE is on; the broker admits them. (Its own
    /// bus clients use the proxy's `inproc://` endpoints, which need none.)
    public let internalKeys: ClientCurveKeys?
    /// Keys for the broker's own HTTP dashboard when CURVE is on, admitted as admin: it sends the
    /// actions of whoever showed it the HTTP admin token.
    public let dashboardKeys: ClientCurveKeys?
    private let authenticator: ZapAuthenticator?
    /// Outlives every socket made in it.
    private let context: Context
    private let loop: SocketLoop<Never>

    /// Binds every socket; throws if an endpoint is malformed or already in use, the allow-list
    /// or journal cannot be read, or the configuration would expose the broker without CURVE.
    public init(configuration: BrokerConfiguration, logger: Logger) throws {
        try refuseExposureWithoutCurve(configuration)
        let context = try Context()
        self.context = context
        // The pools this broker starts get a key pair of its making, so they need no key files.
        let internalKeys = try configuration.security.map { security in
            ClientCurveKeys(keys: try CurveKeyPair.generate(), serverKey: security.keys.publicKey)
        }
        self.internalKeys = internalKeys
        let dashboardKeys = try configuration.security.map { security in
            ClientCurveKeys(keys: try CurveKeyPair.generate(), serverKey: security.keys.publicKey)
        }
        self.dashboardKeys = dashboardKeys
        let zap = try configuration.security.map { security in
            var ownKeys: [String: CurveRole] = [:]
            if let internalKeys { ownKeys[internalKeys.keys.publicKey] = .pool }
            if let dashboardKeys { ownKeys[dashboardKeys.keys.publicKey] = .admin }
            if configuration.pair != nil { ownKeys[security.keys.publicKey] = .peer }
            let allowList = try LiveAllowList(file: security.allowListFile, ownKeys: ownKeys, logger: logger)
            return try ZapServer(context: context, allowList: allowList, logger: logger)
        }
        let frontend: Socket, backend: Socket
        do {
            (frontend, backend) = try RouterSockets.bind(configuration, context: context)
        } catch {
            zap?.close()
            throw error
        }
        var journal: Journal?
        var bus: BusProxy?
        var pair: PairSession?
        do {
            try zap?.watchHandshakes(of: RouterSockets.frontendName)
            try zap?.watchHandshakes(of: RouterSockets.backendName)
            let frontendEndpoint = try frontend.lastEndpoint
            self.frontendEndpoint = frontendEndpoint
            backendEndpoint = try backend.lastEndpoint
            if let busConfiguration = configuration.bus {
                bus = try BusProxy(configuration: busConfiguration, context: context, secretKey: configuration.security?.keys.secretKey, zap: zap, logger: logger)
            }
            // Named after the bound frontend, a port the OS chose included.
            journal = try configuration.journal.map { journal throws(JournalError) in
                try Journal(path: journal.file(frontend: frontendEndpoint), mode: journal.mode, logger: logger)
            }
            journal?.writeTimes = metrics.journalWrites
            if let bus { metrics.watch(bus) }
            if let pairConfiguration = configuration.pair {
                guard let journal else {
                    throw BrokerError(code: .bindFailed, message: "a broker pair needs the journal (journal_mode crash or fsync): the active streams it to the passive")
                }
                let epochFile = EpochFile(journal: journal.file.path)
                let epoch = try epochFile.read()
                let link = try PairLink(pairConfiguration, context: context, security: configuration.security)
                pair = PairSession(configuration: pairConfiguration, link: link, epochFile: epochFile, epoch: epoch, durable: journal.mode == .fsync)
                try zap?.watchHandshakes(of: PairLink.zapDomain)
            }
        } catch {
            pair?.link.close()
            journal?.close()
            bus?.stop()
            frontend.close()
            backend.close()
            zap?.close()
            throw error
        }
        self.bus = bus
        let poolsReach = PoolLaunchSpec.Broker(backend: backendEndpoint, frontend: frontendEndpoint, busPublish: bus?.publishEndpoint, busSubscribe: bus?.subscribeEndpoint)
        let supervisor = configuration.poolExecutables.map { executables in
            PoolSupervisor(executables: executables, broker: poolsReach, settingsFile: configuration.settingsFile,
                           childEnvironment: internalKeys?.environment ?? [:], logger: logger, extraArguments: configuration.poolArguments)
        }
        // Handshakes are answered from now on: the broker's own bus clients connect before it runs.
        var authenticator: ZapAuthenticator?
        if let zap { authenticator = ZapAuthenticator(serving: zap) }
        self.authenticator = authenticator
        let info = BrokerInfo(
            version: MahavishnuVersion.current, frontend: frontendEndpoint, backend: backendEndpoint,
            busPub: bus?.publishEndpoint, busSub: bus?.subscribeEndpoint, memoryDatabasePath: configuration.memoryDatabasePath,
            heartbeatIntervalMs: Int(configuration.heartbeatInterval.roundedUpMilliseconds), heartbeatLiveness: configuration.heartbeatLiveness
        )
        let router = RouterLoop(configuration: configuration, info: info, frontend: frontend, backend: backend, journal: journal, pair: pair,
                                supervisor: supervisor, authenticator: authenticator, metrics: metrics, logger: logger)
        loop = SocketLoop(name: "mahavishnu.router", handler: router)
    }

    public func start() { loop.start() }

    /// Asks the router to drain and stop; safe from any thread. A broker never started closes
    /// its sockets at once.
    public func stop() {
        loop.stop()
    }

    public func finished() async throws { try await loop.finished() }

    /// Re-reads the allow-list file (on SIGHUP): new handshakes see the change, live connections stay.
    public func reloadAllowList() throws {
        try authenticator?.reload()
    }
}

/// The router's two ROUTER sockets, configured and bound.
private enum RouterSockets {
    /// The names under which ZAP counts their failed handshakes.
    static let frontendName = "frontend", backendName = "backend"

    /// Both sockets, bound; with CURVE on, as CURVE servers that report failed handshakes to ZAP.
    static func bind(_ configuration: BrokerConfiguration, context: Context) throws -> (frontend: Socket, backend: Socket) {
        let frontend = try Socket(context, type: .router, linger: 0)
        let backend = try Socket(context, type: .router, linger: 0)
        do {
            if let security = configuration.security {
                try frontend.becomeCurveServer(secretKey: security.keys.secretKey, zapDomain: ZapAuthenticator.Domain.frontend.rawValue)
                try backend.becomeCurveServer(secretKey: security.keys.secretKey, zapDomain: ZapAuthenticator.Domain.backend.rawValue)
                try frontend.monitorHandshakeFailures(at: ZapServer.monitorEndpoint(frontendName))
                try backend.monitorHandshakeFailures(at: ZapServer.monitorEndpoint(backendName))
            }
            for socket in [frontend, backend] {
                try socket.set(.routerMandatory, 1)
                try socket.set(.receiveHighWaterMark, configuration.highWaterMark)
            }
            try frontend.set(.sendHighWaterMark, configuration.producerHighWaterMark)
            try backend.set(.sendHighWaterMark, configuration.highWaterMark)
            try frontend.set(.maxMessageSize, FrameLimits.frontend(maxTaskBytes: configuration.maxTaskBytes))
            try backend.set(.maxMessageSize, FrameLimits.backend(maxResultBytes: configuration.maxResultBytes))
            // A pool that reconnects under the same id takes its routing id over from the dead link.
            try backend.set(.routerHandover, 1)
            try bind(frontend, configuration.frontend, role: "frontend")
            try bind(backend, configuration.backend, role: "backend")
        } catch {
            frontend.close()
            backend.close()
            throw error
        }
        return (frontend, backend)
    }

    private static func bind(_ socket: Socket, _ endpoint: String, role: String) throws {
        do {
            try socket.bind(endpoint)
        } catch let error as ZMQError {
            throw BrokerError(code: .bindFailed, message: "cannot bind the \(role) to \(endpoint): \(error)")
        }
    }
}
