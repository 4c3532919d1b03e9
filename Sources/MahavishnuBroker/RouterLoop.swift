import DequeModule
import Logging
import MahavishnuCore
import Synchronization
import ZeroMQ

/// The broker's one routing thread: owns the frontend and backend sockets, the pool registry,
/// the queues and the leases, and moves every task from producer to pool and back.
///
/// Per task it reads only header frames and keeps the body as an opaque, shared payload.
final class RouterLoop {
    let frontend: Socket
    let backend: Socket
    let logger: Logger
    let configuration: BrokerConfiguration
    var defaultSelector: PoolSelector { configuration.defaultSelector }
    private let wakeup = Wakeup()
    private let stopRequested = Atomic<Bool>(false)
    /// Whether `run()` (or `closeUnrun()`) has taken over the sockets.
    private let stage = Mutex(Stage.built)
    private enum Stage { case built, ran }
    private let poller = Poller()
    private let frontendItem: Int
    private let backendItem: Int
    private let wakeupItem: Int
    private let supervisorItem: Int
    /// Starts and watches the pool processes this broker owns; `nil` if spawning is disabled.
    let supervisor: PoolSupervisor?
    /// Admits CURVE keys by role; `nil` when the broker runs without CURVE.
    let authenticator: ZapAuthenticator?
    /// The keys of the pools the broker starts; `nil` without CURVE.
    let internalKeys: ClientCurveKeys?
    /// The message bus proxy, bound here beside the other sockets; run on a thread of its own.
    let bus: BusProxy?
    var state = LoopState.running

    /// The message being handled; every receive reuses it.
    let frames = Frames(capacity: 16)
    var registry = PoolRegistry()
    var available = AvailablePools()
    var queues: TaskQueues
    /// In-flight tasks by task id: who sent each, which pool runs it, its body for a retry.
    var leases: ByteKeyedDictionary<TaskLease> = [:]
    var stats = BrokerStats()
    /// Recent results by task id, to answer retries without running a task twice.
    var resultCache: ResultCache
    var heartbeat: HeartbeatClock
    var heapTrimmer = HeapTrimmer()
    /// The write-ahead journal; `nil` with `journal_mode: off`.
    let journal: Journal?
    /// Messages waiting for the journal's next write.
    var outbox = Outbox()
    /// Results for producers with their own routing id that were away when they finished.
    var owedResults: OwedResults
    /// Ticks once per dispatch; a pool's `lastUse` is the tick of its last task.
    var dispatchClock: UInt64 = 0
    /// Ticks once per accepted task, to order queued tasks.
    var arrivalClock: UInt64 = 0
    /// Affinity tasks for pools not registered yet, held for `affinityWait` after the start.
    var awaitedPools: AwaitedPools
    /// What `WELCOME` tells pools: the heartbeat terms they keep to.
    let welcomeTerms: WelcomeTerms
    /// Replies owed once a spawned pool registers (or fails to), by pool id.
    var pendingSpawns: [String: PendingSpawn] = [:]
    /// Replies owed once a closing pool has stopped, by pool id.
    var pendingCloses: [String: [ControlReply]] = [:]
    /// Replies owed once every pool in the set has stopped (`close_all`).
    var pendingCloseAlls: [(reply: ControlReply, remaining: Set<String>, closed: [PoolIdentity])] = []

    init(configuration: BrokerConfiguration, context: Context, logger: Logger) throws {
        self.logger = logger
        self.configuration = configuration
        queues = TaskQueues(bound: configuration.queueBound, byteBound: configuration.queueBytes)
        resultCache = ResultCache(capacity: configuration.resultCacheSize, byteCapacity: configuration.resultCacheBytes)
        owedResults = OwedResults(capacity: configuration.resultCacheSize)
        heartbeat = HeartbeatClock(interval: configuration.heartbeatInterval, liveness: configuration.heartbeatLiveness)
        awaitedPools = AwaitedPools(deadline: .now + configuration.affinityWait)
        welcomeTerms = WelcomeTerms(heartbeatInterval: configuration.heartbeatInterval, liveness: configuration.heartbeatLiveness,
                                    maxResultBytes: configuration.maxResultBytes)
        try Self.refuseExposure(configuration)
        // The pools this broker starts get a key pair of its making, so they need no key files.
        let internalKeys = try configuration.security.map { security in
            ClientCurveKeys(keys: try CurveKeyPair.generate(), serverKey: security.keys.publicKey)
        }
        self.internalKeys = internalKeys
        let authenticator = try configuration.security.map { security in
            try ZapAuthenticator(context: context, allowListFile: security.allowListFile,
                                 ownKeys: internalKeys.map { [$0.keys.publicKey: .pool] } ?? [:], logger: logger)
        }
        self.authenticator = authenticator
        frontend = try Socket(context, type: .router, linger: 0)
        backend = try Socket(context, type: .router, linger: 0)
        do {
            if let security = configuration.security, let authenticator {
                try frontend.becomeCurveServer(secretKey: security.keys.secretKey, zapDomain: ZapAuthenticator.Domain.frontend.rawValue)
                try backend.becomeCurveServer(secretKey: security.keys.secretKey, zapDomain: ZapAuthenticator.Domain.backend.rawValue)
                try authenticator.monitor(frontend, name: "frontend")
                try authenticator.monitor(backend, name: "backend")
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
            try Self.bind(frontend, configuration.frontend, role: "frontend")
            try Self.bind(backend, configuration.backend, role: "backend")
        } catch {
            frontend.close()
            backend.close()
            authenticator?.discard()
            throw error
        }
        let boundBackend = try backend.lastEndpoint
        let boundFrontend = try frontend.lastEndpoint
        let bus: BusProxy?
        do {
            // Named after the bound frontend, a port the OS chose included.
            journal = try configuration.journal.map { journal throws(JournalError) in try Journal(path: journal.file(frontend: boundFrontend), mode: journal.mode, logger: logger) }
            bus = try configuration.bus.map { try BusProxy(configuration: $0, context: context, secretKey: configuration.security?.keys.secretKey, logger: logger) }
            if let bus, let authenticator { try bus.monitored(by: authenticator) }
        } catch {
            frontend.close()
            backend.close()
            authenticator?.discard()
            throw error
        }
        self.bus = bus
        let poolsReach = PoolLaunchSpec.Broker(backend: boundBackend, frontend: boundFrontend, busPublish: bus?.publishEndpoint, busSubscribe: bus?.subscribeEndpoint)
        let supervisor = configuration.poolExecutables.map { executables in
            PoolSupervisor(executables: executables, broker: poolsReach, settingsFile: configuration.settingsFile,
                           childEnvironment: internalKeys?.environment ?? [:], logger: logger, extraArguments: configuration.poolArguments)
        }
        self.supervisor = supervisor
        frontendItem = poller.addReadable(frontend)
        backendItem = poller.addReadable(backend)
        wakeupItem = poller.addReadable(fileDescriptor: wakeup.fileDescriptor)
        if let supervisor {
            supervisorItem = poller.addReadable(fileDescriptor: supervisor.events.wakeup.fileDescriptor)
        } else {
            supervisorItem = -1
        }
        // Handshakes are answered from now on: the broker's own bus clients connect before it runs.
        authenticator?.start()
    }

    /// Refuses to expose the broker beyond this machine without CURVE, unless told to.
    private static func refuseExposure(_ configuration: BrokerConfiguration) throws {
        guard configuration.security == nil, !configuration.insecure else { return }
        let endpoints = [configuration.frontend, configuration.backend] + (configuration.bus.map { [$0.publish, $0.subscribe] } ?? [])
        guard let exposed = endpoints.first(where: { !isLocalOnly($0) }) else { return }
        throw BrokerError(code: .insecureBind, message: """
            refusing to bind \(exposed) without CURVE: anyone who can reach it could submit tasks and register pools. \
            Generate keys with `mahavishnu keys generate --out keys --name broker` (and a pair per producer, pool and admin), \
            list the allowed public keys in an allow-list file, and start the broker with --keys keys --allow allow.yaml; \
            or pass --insecure to accept the risk (docs/security.md)
            """)
    }

    private static func bind(_ socket: Socket, _ endpoint: String, role: String) throws {
        do {
            try socket.bind(endpoint)
        } catch let error as ZMQError {
            throw BrokerError(code: .bindFailed, message: "cannot bind the \(role) to \(endpoint): \(error)")
        }
    }

    /// Closes everything of a loop that will never run (its owner gave up before `run()`).
    func closeUnrun() {
        guard stage.withLock({ stage in defer { stage = .ran }; return stage == .built }) else { return }
        authenticator?.stop()
        bus?.close()
        frontend.close()
        backend.close()
    }

    func requestStop() {
        stopRequested.store(true, ordering: .releasing)
        wakeup.signal()
    }

    /// Polls and handles messages until stopped and drained; closes both sockets on the way out.
    func run() throws {
        guard stage.withLock({ stage in defer { stage = .ran }; return stage == .built }) else { return }
        defer {
            authenticator?.stop()
            supervisor?.killRemaining()
            frontend.close()
            backend.close()
            journal?.close()
        }
        let endpoints = (frontend: try frontend.lastEndpoint, backend: try backend.lastEndpoint)
        logger.info("router loop running", metadata: ["zmq.frontend": "\(endpoints.frontend)", "zmq.backend": "\(endpoints.backend)"])
        awaitedPools = AwaitedPools(deadline: .now + configuration.affinityWait)
        try recoverFromJournal()
        for request in configuration.initialPools { spawn(request, reply: nil) }
        while state != .stopped {
            // What the last pass held back goes out before the loop waits again.
            flushOutbox()
            if case .running = state, stopRequested.load(ordering: .acquiring) {
                beginDrain()
                continue
            }
            try poller.poll(until: nextTimer())
            if poller.isReadable(wakeupItem) { wakeup.drain() }
            // Results first: they free the slots that waiting and new tasks need.
            if poller.isReadable(backendItem) { try drain(backend, handler: handleBackendMessage) }
            if poller.isReadable(frontendItem) { try drain(frontend, handler: handleFrontendMessage) }
            if supervisorItem >= 0, poller.isReadable(supervisorItem) { handleChildExits() }
            runTimers()
        }
        flushOutbox()
        logger.info("router loop stopped", metadata: ["broker.in_flight": "\(leases.count)", "broker.queued": "\(queues.depth)"])
    }

    /// Handles the messages waiting on `socket`, a bounded batch at a time so neither side starves.
    private func drain(_ socket: Socket, handler: () throws -> Void) throws {
        for _ in 0..<256 {
            guard try socket.receive(into: frames, dontWait: true) else { return }
            try handler()
        }
    }
}

/// The router loop's lifecycle.
enum LoopState: Equatable {
    /// Routing tasks.
    case running
    /// Refusing new tasks; waiting until in-flight tasks are answered and child pools have exited.
    case draining(deadline: ContinuousClock.Instant)
    /// Done: `run()` returns.
    case stopped
}

/// A `CTRL` request whose reply waits for something to happen.
struct ControlReply {
    let address: ReplyAddress
    let requestID: [UInt8]
}

/// A pool the broker started that has not registered yet.
struct PendingSpawn {
    let request: PoolConfig
    let reply: ControlReply?
    let deadline: ContinuousClock.Instant
}

/// A task a pool is running: the lease the broker holds until its result comes back.
struct TaskLease {
    var task: PendingTask
    /// The registry slot of the pool running it.
    let poolSlot: Int
}

/// An error that stops the broker from starting or running.
public struct BrokerError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable { case bindFailed, insecureBind }
    public let code: Code
    public let message: String
    public var description: String { message }
}
