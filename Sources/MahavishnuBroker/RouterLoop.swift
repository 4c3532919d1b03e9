import DequeModule
import Logging
import MahavishnuCore
import ZeroMQ

/// The broker's one routing thread: owns the frontend and backend sockets, the pool registry,
/// the queues and the leases, and moves every task from producer to pool and back.
///
/// Per task it reads only header frames and keeps the body as an opaque, shared payload.
/// `Broker` builds it and runs it on a `SocketLoop`; asked to stop, it drains.
final class RouterLoop: SocketLoopHandler {
    typealias Command = Never

    let frontend: Socket
    let backend: Socket
    let logger: Logger
    let configuration: BrokerConfiguration
    /// What `info` answers: where the broker listens, its version and heartbeat settings.
    let info: BrokerInfo
    var defaultSelector: PoolSelector { configuration.defaultSelector }
    /// Starts and watches the pool processes this broker owns; `nil` if spawning is disabled.
    let supervisor: PoolSupervisor?
    /// Admits CURVE keys by role; `nil` when the broker runs without CURVE.
    let authenticator: ZapAuthenticator?
    var state = LoopState.running

    /// The message being handled; every receive reuses it.
    let frames = Frames(capacity: 16)
    var registry = PoolRegistry()
    var available = AvailablePools()
    var queues: TaskQueues
    /// In-flight tasks by task id: who sent each, which pool runs it, its body for a retry.
    var leases: ByteKeyedDictionary<TaskLease> = [:]
    var stats = BrokerStats()
    let metrics: BrokerMetrics
    /// The `stats` last copied into `metrics`.
    var exportedStats = BrokerStats()
    /// Finished tasks of the last 15 minutes, for the dashboard.
    var activity = ActivityHistory()
    /// The second (since 1970) finished tasks are counted in: the last heartbeat tick's, so a
    /// result costs no reading of the wall clock.
    var activitySecond = Int(RouterLoop.epochMilliseconds() / 1000)
    /// Recent results by task id, to answer retries without running a task twice.
    var resultCache: ResultCache
    var heartbeat: HeartbeatClock
    var heapTrimmer = HeapTrimmer()
    /// The write-ahead journal; `nil` with `journal_mode: off`. A broker of a pair opens it
    /// again when it becomes active, to recover what its peer streamed into it.
    var journal: Journal?
    /// The broker's pair: its peer, its state, the journal stream; `nil` for a broker on its own.
    let pair: PairSession?
    /// Messages waiting for the journal's next write.
    var outbox = Outbox()
    /// Streaming tasks' partials and results waiting for room at their producers.
    var heldDeliveries = HeldDeliveries()
    /// Results for producers with their own routing id that were away when they finished.
    var owedResults: OwedResults
    /// Ticks once per dispatch; a pool's `lastUse` is the tick of its last task.
    var dispatchClock: UInt64 = 0
    /// Ticks once per accepted task, to order queued tasks.
    var arrivalClock: UInt64 = 0
    /// Where the loop's clock for queue ranks (`PendingTask.rank`) starts.
    let clockOrigin = ContinuousClock.now
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

    /// A loop over bound `frontend` and `backend` sockets, which it owns from now on.
    init(configuration: BrokerConfiguration, info: BrokerInfo, frontend: Socket, backend: Socket, journal: Journal?, pair: PairSession?,
         supervisor: PoolSupervisor?, authenticator: ZapAuthenticator?, metrics: BrokerMetrics, logger: Logger) {
        self.metrics = metrics
        self.logger = logger
        self.configuration = configuration
        self.info = info
        self.frontend = frontend
        self.backend = backend
        self.journal = journal
        self.pair = pair
        self.supervisor = supervisor
        self.authenticator = authenticator
        queues = TaskQueues(bound: configuration.queueBound, byteBound: configuration.queueBytes)
        resultCache = ResultCache(capacity: configuration.resultCacheSize, byteCapacity: configuration.resultCacheBytes)
        owedResults = OwedResults(capacity: configuration.resultCacheSize)
        heartbeat = HeartbeatClock(interval: configuration.heartbeatInterval, liveness: configuration.heartbeatLiveness)
        awaitedPools = AwaitedPools(deadline: .now + configuration.affinityWait)
        welcomeTerms = WelcomeTerms(heartbeatInterval: configuration.heartbeatInterval, liveness: configuration.heartbeatLiveness,
                                    maxResultBytes: configuration.maxResultBytes)
    }

    /// Recovers the journal and starts the configured pools (a broker of a pair does both when
    /// it becomes active), then watches both sockets (results
    /// first: they free the slots that waiting and new tasks need) and the supervisor's reports.
    func start(_ reactor: SocketReactor) throws {
        logger.info("router loop running", metadata: ["zmq.frontend": "\(info.frontend)", "zmq.backend": "\(info.backend)"])
        if let pair {
            startPair(pair, reactor)
        } else {
            awaitedPools = AwaitedPools(deadline: .now + configuration.affinityWait)
            try recoverFromJournal()
            for request in configuration.initialPools { spawn(request, reply: nil) }
        }
        reactor.onReadable(backend) { [unowned self] in try drain(backend, handler: handleBackendMessage) }
        reactor.onReadable(frontend) { [unowned self] in try drain(frontend, handler: handleFrontendMessage) }
        if let supervisor { reactor.onPosted(supervisor.events) { [unowned self] in handleChildExits($0) } }
    }

    /// Runs the timers that are due, then sends what the pass held back for the journal.
    func beforeWait() {
        runTimers()
        flushOutbox()
    }

    var nextDeadline: ContinuousClock.Instant? { nextTimer() }

    /// Drains: the loop serves until in-flight tasks are answered and child pools have exited.
    func stopRequested() -> Bool {
        if case .running = state { beginDrain() }
        return false
    }

    var isDone: Bool { state == .stopped }

    /// Sends what is left, then closes the sockets and the journal and stops the children and ZAP.
    func finish(after error: (any Error)?) {
        if error == nil { flushOutbox() }
        logger.info("router loop stopped", metadata: ["broker.in_flight": "\(leases.count)", "broker.queued": "\(queues.depth)"])
        authenticator?.stop()
        supervisor?.killRemaining()
        frontend.close()
        backend.close()
        pair?.link.close()
        journal?.close()
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
    /// When it was dispatched there.
    var dispatchedAt = ContinuousClock.now
    /// The producer cancelled it and its pool was told to end it: it is never run again.
    var cancelled = false
    /// Partial outputs of this run passed on to the producer since the pool's last `CREDIT`.
    var uncredited = 0
}

/// An error that stops the broker from starting or running.
public struct BrokerError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable {
        case bindFailed, insecureBind
        /// A broker of a pair heard its peer active at a higher epoch: it stopped.
        case fenced
    }
    public let code: Code
    public let message: String
    public var description: String { message }
}
