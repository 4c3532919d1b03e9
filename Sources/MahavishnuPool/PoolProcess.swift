import Foundation
import Logging
import MahavishnuCore
import ZeroMQ

/// A pool: a link to the broker's backend, a set of worker slots, and the loop between them,
/// which runs on a `SocketLoop` of its own.
///
/// Built idle: `start()` registers it and runs tasks, `stop()` drains it, `finished()` waits
/// until the broker has released it (or the drain timed out) and its socket is closed.
public final class PoolProcess: ThreadLoop {
    public let configuration: PoolConfiguration
    private let commands: Mailbox<PoolCommand>
    private let loop: SocketLoop<PoolCommand>

    /// Connects to the broker; `onReady` runs once, on the pool's thread, when the broker accepts it.
    ///
    /// - Parameters:
    ///   - executor: runs the tasks; default: the executor of the configuration's worker type.
    ///   - hooks: connect the pool to the message bus: finished tasks are reported to it, and
    ///     tasks that name `delegate_to` are handed to another pool through it.
    public init(
        configuration: PoolConfiguration, logger: Logger, executor: (any Executor)? = nil, hooks: PoolHooks = PoolHooks(),
        onReady: @escaping @Sendable (PoolConfiguration) -> Void = { _ in }
    ) throws {
        try configuration.validate()
        self.configuration = configuration
        let commands = Mailbox<PoolCommand>()
        self.commands = commands
        let handler = try PoolLoop(configuration: configuration, logger: logger, executor: executor, hooks: hooks, commands: commands, onReady: onReady)
        loop = SocketLoop(name: "mahavishnu.pool", mailbox: commands, handler: handler)
    }

    public func start() { loop.start() }

    /// Asks the pool to drain: it tells the broker it is leaving, finishes its tasks, then ends.
    public func stop() { commands.post(.drain) }

    public func finished() async throws { try await loop.finished() }
}

/// What reaches the pool's thread from others.
enum PoolCommand: Sendable {
    /// A worker finished a task.
    case finished(Completion)
    /// A worker sent a partial output of a running task.
    case partial(taskID: [UInt8], body: [UInt8])
    /// Leave: tell the broker, finish the running tasks, end once released.
    case drain
}

/// The pool's thread: its link to the broker, its worker slots and what they finished.
private final class PoolLoop: SocketLoopHandler {
    typealias Command = PoolCommand

    let configuration: PoolConfiguration
    private let logger: Logger
    private let link: BrokerLink
    private let executor: any Executor
    private let hooks: PoolHooks
    private let commands: Mailbox<PoolCommand>
    private let frames = Frames(capacity: 8)
    private var reactor: SocketReactor?
    /// The link's socket as the reactor watches it; `nil` while the link reconnects.
    private var watched: Socket?
    private var slots: WorkerSlots
    private var recorder = PoolVitalsRecorder()
    /// Finished tasks' events not yet given to `hooks.tasksFinished`.
    private var events = EventBatch()
    /// Tasks that arrived while every worker was busy (only after a scale-down race).
    private var backlog: [(taskID: [UInt8], body: [UInt8], partialWindow: Int?)] = []
    /// The running tasks whose producers stream them: each one's outlet and next partial's number.
    private var streams: [[UInt8]: (outlet: PartialOutlet, nextSequence: Int)] = [:]
    private var registered = false
    /// This process's registration session: a `READY` the broker has seen repeats, not restarts.
    private let session = String(UInt64.random(in: .min ... .max), radix: 16)
    /// When the `READY` now awaiting its `WELCOME` was sent; `nil` once welcomed. One `READY` per
    /// session, sent again only if no `WELCOME` came within the liveness interval.
    private var readySentAt: ContinuousClock.Instant?
    /// The highest broker-pair epoch this pool has been welcomed at; it says so in `READY`.
    private var highestEpoch: UInt64?
    private var saidBye = false
    /// When a drain that the broker has not answered gives up.
    private var drainDeadline: ContinuousClock.Instant?
    /// The broker released the pool, or the drain gave up: the loop ends.
    private var released = false
    /// Why the executor cannot run tasks, as last announced to the broker (capacity 0 while set).
    private var unavailableReason: String?
    private let parent = getppid()
    private let onReady: @Sendable (PoolConfiguration) -> Void

    init(configuration: PoolConfiguration, logger: Logger, executor: (any Executor)?, hooks: PoolHooks,
         commands: Mailbox<PoolCommand>, onReady: @escaping @Sendable (PoolConfiguration) -> Void) throws {
        self.configuration = configuration
        self.logger = logger
        self.onReady = onReady
        self.hooks = hooks
        self.commands = commands
        // validate() has checked that the worker type is defined.
        let local = executor ?? configuration.workerTypes[configuration.workerType]!.makeExecutor()
        self.executor = DelegatingExecutor(local: local, delegation: hooks.delegation)
        slots = WorkerSlots(poolID: configuration.poolID, count: configuration.minWorkers)
        link = try BrokerLink(
            endpoints: [configuration.broker] + configuration.otherBrokers, routingID: configuration.poolID,
            heartbeatInterval: configuration.heartbeatInterval, liveness: configuration.heartbeatLiveness,
            curve: configuration.curve, logger: logger
        )
    }

    /// Registers, and watches the broker's socket.
    func start(_ reactor: SocketReactor) throws {
        self.reactor = reactor
        try sendReady()
        watchLink()
    }

    /// Sends finished tasks' results (after any change in availability they follow from) and begins a drain.
    func handle(_ commands: [PoolCommand]) throws {
        if !link.isReconnecting { try followAvailability() }
        for command in commands {
            switch command {
            case .finished(let completion): try send(completion)
            case .partial(let taskID, let body): try sendPartial(taskID, body)
            case .drain: try beginDrain()
            }
        }
    }

    /// Heartbeats, reconnects, the drain's end, and the events due for the bus.
    func beforeWait() throws {
        if configuration.exitWithParent && getppid() != parent && !saidBye {
            logger.info("parent process gone: draining", metadata: ["pool.id": "\(configuration.poolID)"])
            try beginDrain()
        }
        // A pool the broker never accepted has nobody to wait for once its own tasks are done
        // (unless its WELCOME is waiting to be read).
        if saidBye && slots.busyCount == 0 && !registered {
            if watched != nil { try receiveFromBroker() }
            if !registered { released = true }
        }
        if let drainDeadline, ContinuousClock.now >= drainDeadline {
            logger.info("drain timeout: the broker did not release the pool", metadata: ["pool.id": "\(configuration.poolID)"])
            released = true
        }
        if !link.isReconnecting { try followAvailability() }
        if events.isDue { flushEvents() }
        switch try link.service(vitals: encodedVitals) {
        case .none:
            break
        case .disconnected:
            if let watched { reactor?.stopWatching(watched) }
            watched = nil
        case .reconnected:
            watchLink()
            try sendReady()
        }
    }

    var nextDeadline: ContinuousClock.Instant? {
        var wakeAt = link.nextDeadline()
        if let drainDeadline { wakeAt = min(wakeAt, drainDeadline) }
        if let flushAt = events.flushAt { wakeAt = min(wakeAt, flushAt) }
        if configuration.exitWithParent { wakeAt = min(wakeAt, .now + .seconds(1)) }
        return wakeAt
    }

    var isDone: Bool { released }

    func finish(after error: (any Error)?) {
        flushEvents()
        executor.shutdown()
        link.close()
    }

    private func watchLink() {
        watched = link.socket
        reactor?.onReadable(link.socket) { [unowned self] in try receiveFromBroker() }
    }

    private func receiveFromBroker() throws {
        while try link.socket.receive(into: frames, dontWait: true) {
            link.heard()
            try handleBrokerMessage()
        }
    }

    /// Tells the broker the pool is leaving, once, and gives it `drain_timeout` to release the pool.
    private func beginDrain() throws {
        guard !saidBye else { return }
        try link.send(.bye)
        saidBye = true
        drainDeadline = .now + .seconds(configuration.drainTimeout)
        logger.info("pool draining", metadata: ["pool.id": "\(configuration.poolID)", "pool.busy": "\(slots.busyCount)"])
    }

    private func sendReady() throws {
        let registration = PoolRegistration(
            poolID: configuration.poolID, name: configuration.name, type: configuration.type,
            workerType: configuration.workerType, minWorkers: configuration.minWorkers,
            maxWorkers: configuration.maxWorkers, workers: announcedCapacity,
            pid: ProcessInfo.processInfo.processIdentifier, host: ProcessInfo.processInfo.hostName,
            busy: slots.busyCount, autoScale: configuration.autoScale, session: session, epoch: highestEpoch
        )
        try link.send(.ready(registration))
        readySentAt = .now
    }

    /// Registers again unless a `READY` of this session is already on its way: a broker that
    /// restarted answers every message a pool had queued with `not_registered`, and one `READY`
    /// answers them all.
    private func registerAgainIfNeeded() throws {
        if let sentAt = readySentAt, ContinuousClock.now - sentAt < link.silenceLimit { return }
        try sendReady()
    }

    private func encodedVitals() -> [UInt8] {
        var vitals = recorder.vitals(activeWorkers: slots.busyCount, totalWorkers: slots.target)
        vitals.unhealthyReason = unavailableReason
        return (try? JSONCoding.encode(vitals)) ?? []
    }

    /// The slots the broker may use: none while the executor cannot run tasks.
    private var announcedCapacity: Int { unavailableReason == nil ? slots.target : 0 }

    /// Tells the broker when the executor can no longer (or again) run tasks, before any result
    /// that follows from it, so tasks it gives back go to other pools.
    private func followAvailability() throws {
        let reason = executor.unavailableReason
        guard reason != unavailableReason else { return }
        unavailableReason = reason
        logger.info(reason == nil ? "pool available again" : "pool unavailable", metadata: ["pool.id": "\(configuration.poolID)", "pool.reason": "\(reason ?? "")"])
        try link.send(.capacity(workers: announcedCapacity))
    }

    private func handleBrokerMessage() throws {
        let message: BrokerToPool
        do {
            message = try BrokerToPool(frames: frames, first: 0)
        } catch {
            return logger.info("ignoring a malformed broker message", metadata: ["pool.id": "\(configuration.poolID)", "error.message": "\(error.message)"])
        }
        switch message {
        case .task(let taskID, let body, let window):
            try start(taskID: taskID, body: body.bytes, partialWindow: window)
        case .heartbeat:
            return
        case .welcome(let terms):
            if let epoch = terms?.epoch, let highestEpoch, epoch < highestEpoch {
                logger.warning("a stale broker welcomed this pool; moving to the next", metadata: [
                    "pool.id": "\(configuration.poolID)", "pair.epoch": "\(epoch)", "pair.highest_epoch": "\(highestEpoch)",
                ])
                return link.moveOn()
            }
            if let epoch = terms?.epoch { highestEpoch = max(highestEpoch ?? 0, epoch) }
            readySentAt = nil
            if let terms { link.adopt(terms) }
            // A broker that restarted while the pool drained never heard its BYE.
            if saidBye { try link.send(.bye) }
            if !registered {
                registered = true
                logger.info("pool registered", metadata: ["pool.id": "\(configuration.poolID)", "zmq.endpoint": "\(configuration.broker)"])
                onReady(configuration)
            }
        case .scale(let target):
            try resize(to: target)
        case .cancel(let taskID):
            try cancel(taskID)
        case .credit(let taskID, let partials):
            streams[taskID]?.outlet.grant(partials)
        case .drain:
            try beginDrain()
        case .bye:
            released = slots.busyCount == 0
        case .error(_, let code, let message):
            try handleBrokerError(code: code, message: message)
        }
    }

    private func handleBrokerError(code: String, message: String) throws {
        switch ErrorCode(rawValue: code) {
        case .notRegistered:
            try registerAgainIfNeeded()
        case .duplicatePoolName:
            throw PoolConfigurationError(message)
        case .notActive:
            link.moveOn()
        default:
            logger.info("broker refused a message", metadata: ["error.code": "\(code)", "error.message": "\(message)"])
        }
    }

    /// Applies a new worker count within `[min, max]` and confirms it to the broker.
    private func resize(to requested: Int) throws {
        let target = min(max(requested, configuration.minWorkers), configuration.maxWorkers)
        slots.resize(to: target)
        executor.resized(to: target)
        logger.info("pool resized", metadata: ["pool.id": "\(configuration.poolID)", "pool.workers": "\(target)", "pool.busy": "\(slots.busyCount)"])
        try link.send(.capacity(workers: announcedCapacity))
        try startBacklog()
    }

    /// Gives the task to a free worker (or the backlog); a result its executor reports before
    /// `run` returns is sent at once, from this thread.
    private func start(taskID: [UInt8], body: [UInt8], partialWindow: Int?) throws {
        guard let worker = slots.acquire() else {
            backlog.append((taskID, body, partialWindow))
            return
        }
        let started = ContinuousClock.now
        let commands = self.commands
        let assignment = Result { () throws(InvalidTaskError) in
            try TaskAssignment(taskID: String(decoding: taskID, as: UTF8.self), body: body, worker: worker, defaultTimeout: configuration.taskTimeout)
        }
        let prompt = (try? assignment.get())?.task.prompt ?? ""
        let inline = InlineCompletion()
        let post: @Sendable (ExecutionOutcome) -> Void = { outcome in
            guard !inline.keep(outcome) else { return }
            commands.post(.finished(Completion(taskID: taskID, worker: worker, outcome: outcome, started: started, prompt: prompt)))
        }
        switch assignment {
        case .success(var assignment):
            if let partialWindow {
                let outlet = PartialOutlet(window: partialWindow) { body in commands.post(.partial(taskID: taskID, body: body)) }
                assignment.partials = outlet
                streams[taskID] = (outlet, 0)
            }
            executor.run(assignment, completion: post)
        case .failure(let invalid): post(.failed(invalid.description))
        }
        if let outcome = inline.returned() {
            if !link.isReconnecting { try followAvailability() }
            try send(Completion(taskID: taskID, worker: worker, outcome: outcome, started: started, prompt: prompt))
        }
    }

    /// Sends a running task's next partial output, numbered from 0 for this run.
    private func sendPartial(_ taskID: [UInt8], _ body: [UInt8]) throws {
        guard let sequence = streams[taskID]?.nextSequence else { return }
        streams[taskID]!.nextSequence = sequence + 1
        try link.send(.partial(taskID: taskID, sequence: sequence, body: Payload(body)))
    }

    /// Ends the task `taskID`: one still waiting for a worker here at once, a running one through its executor.
    private func cancel(_ taskID: [UInt8]) throws {
        guard let index = backlog.firstIndex(where: { $0.taskID == taskID }) else {
            return executor.cancel(String(decoding: taskID, as: UTF8.self))
        }
        backlog.remove(at: index)
        let result = TaskResult(.cancelled("before a worker of this pool started it"), taskID: String(decoding: taskID, as: UTF8.self),
                                poolID: configuration.poolID, workerID: "", duration: 0)
        try link.send(.result(taskID: taskID, body: Payload(try JSONCoding.encode(result))))
    }

    private func startBacklog() throws {
        while !backlog.isEmpty && slots.idleCount > 0 {
            let next = backlog.removeFirst()
            try start(taskID: next.taskID, body: next.body, partialWindow: next.partialWindow)
        }
    }

    /// Gives the waiting events to the bus hook.
    private func flushEvents() {
        let batch = events.take()
        if !batch.isEmpty { hooks.tasksFinished?(batch) }
    }

    /// Sends one finished task's result (or LOST) and frees its worker.
    private func send(_ completion: Completion) throws {
        let duration = (ContinuousClock.now - completion.started).seconds
        var result = TaskResult(
            completion.outcome, taskID: String(decoding: completion.taskID, as: UTF8.self), poolID: configuration.poolID,
            workerID: slots.workerID(completion.worker), duration: duration
        )
        if completion.outcome.workerLost {
            recorder.record(result.status, seconds: duration)
            try link.send(.lost(taskID: completion.taskID, reason: result.error ?? "the worker died"))
        } else {
            var body = try JSONCoding.encode(result)
            if let limit = link.maxResultBytes, body.count > limit {
                result = result.tooLarge(size: body.count, limit: limit)
                body = try JSONCoding.encode(result)
            }
            recorder.record(result.status, seconds: duration)
            try link.send(.result(taskID: completion.taskID, body: Payload(body)))
            if hooks.tasksFinished != nil {
                events.append(TaskCompletedEvent(result: result, poolName: configuration.name, prompt: completion.prompt))
            }
        }
        if !streams.isEmpty { streams[completion.taskID] = nil }
        slots.release(completion.worker)
        try startBacklog()
    }
}

/// A task a worker finished, on its way back to the socket thread.
struct Completion: Sendable {
    let taskID: [UInt8]
    let worker: Int
    let outcome: ExecutionOutcome
    let started: ContinuousClock.Instant
    /// The task's prompt, for the `task_completed` event (empty if the body was unreadable).
    let prompt: String
}

