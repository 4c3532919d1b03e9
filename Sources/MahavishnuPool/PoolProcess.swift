import Foundation
import Logging
import MahavishnuCore
import Synchronization
import ZeroMQ

/// A pool: one DEALER to the broker's backend, a set of worker slots, and the loop between them.
///
/// - Important: `run()` blocks the calling thread, which owns the socket; only `stop()` may be
///   called from other threads.
public final class PoolProcess: @unchecked Sendable {
    public let configuration: PoolConfiguration
    private let logger: Logger
    private let context: Context
    private let socket: Socket
    private let executor: any Executor
    private let hooks: PoolHooks
    private let inbox = Mailbox<Completion>()
    private let stopRequested = Atomic<Bool>(false)
    private let frames = Frames(capacity: 8)
    private var slots: WorkerSlots
    /// Tasks that arrived while every worker was busy (only after a scale-down race).
    private var backlog: [(taskID: [UInt8], body: [UInt8])] = []
    private var registered = false
    private var saidBye = false
    private var released = false
    private let onReady: @Sendable (PoolProcess) -> Void

    /// Connects to the broker; `onReady` runs once, on the pool's thread, when the broker accepts it.
    ///
    /// `hooks` connect the pool to the message bus: finished tasks are reported to it, and tasks
    /// that name `delegate_to` are handed to another pool through it.
    public init(configuration: PoolConfiguration, logger: Logger, hooks: PoolHooks = PoolHooks(), onReady: @escaping @Sendable (PoolProcess) -> Void = { _ in }) throws {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        self.onReady = onReady
        self.hooks = hooks
        executor = DelegatingExecutor(local: WorkerTypes.executor(for: configuration.workerType), delegation: hooks.delegation)
        slots = WorkerSlots(poolID: configuration.poolID, count: configuration.minWorkers)
        context = try Context()
        socket = try Socket(context, type: .dealer, linger: 0)
        do {
            try socket.set(.routingID, configuration.poolID)
            try socket.set(.sendHighWaterMark, 0)
            try socket.set(.receiveHighWaterMark, 0)
            try socket.connect(configuration.broker)
        } catch {
            socket.close()
            throw error
        }
    }

    /// Asks the pool to drain: it tells the broker it is leaving, finishes its tasks, then `run()` returns.
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        inbox.wakeup.signal()
    }

    /// Registers, then runs tasks until stopped and released by the broker (or the drain timeout).
    public func run() throws {
        defer { socket.close() }
        let poller = Poller()
        let socketItem = poller.addReadable(socket)
        let inboxItem = poller.addReadable(fileDescriptor: inbox.wakeup.fileDescriptor)
        try sendReady()
        var drainDeadline: ContinuousClock.Instant?
        let parent = getppid()
        while !released {
            if configuration.exitWithParent && getppid() != parent && !stopRequested.load(ordering: .acquiring) {
                logger.info("parent process gone: draining", metadata: ["pool.id": "\(configuration.poolID)"])
                stop()
            }
            if stopRequested.load(ordering: .acquiring) && !saidBye {
                try socket.send(multipart: [Wire.version, Wire.Command.bye])
                saidBye = true
                drainDeadline = .now + .seconds(configuration.drainTimeout)
                logger.info("pool draining", metadata: ["pool.id": "\(configuration.poolID)", "pool.busy": "\(slots.busyCount)"])
            }
            if let drainDeadline, ContinuousClock.now >= drainDeadline {
                logger.info("drain timeout: the broker did not release the pool", metadata: ["pool.id": "\(configuration.poolID)"])
                break
            }
            var timeout = drainDeadline.map { Int(($0 - .now).components.seconds * 1000) + 1 } ?? -1
            if configuration.exitWithParent { timeout = timeout < 0 ? 1_000 : min(timeout, 1_000) }
            try poller.poll(timeoutMilliseconds: timeout)
            if poller.isReadable(inboxItem) { inbox.wakeup.drain() }
            if poller.isReadable(socketItem) {
                while try socket.receive(into: frames, dontWait: true) { try handleBrokerMessage() }
            }
            try sendResults()
        }
    }

    private func sendReady() throws {
        let registration = PoolRegistration(
            poolID: configuration.poolID, name: configuration.name, type: configuration.type,
            workerType: configuration.workerType, minWorkers: configuration.minWorkers,
            maxWorkers: configuration.maxWorkers, workers: slots.total,
            pid: ProcessInfo.processInfo.processIdentifier, host: ProcessInfo.processInfo.hostName
        )
        try socket.send(multipart: [Wire.version, Wire.Command.ready, try JSONCoding.encode(registration)])
    }

    private func handleBrokerMessage() throws {
        guard frames.count >= 2, frames.frame(0, equals: Wire.version) else {
            return logger.info("ignoring a malformed broker message", metadata: ["pool.id": "\(configuration.poolID)"])
        }
        if frames.frame(1, equals: Wire.Command.task), frames.count == 4 {
            start(taskID: frames.bytes(2), body: frames.bytes(3))
        } else if frames.frame(1, equals: Wire.Command.welcome) {
            if !registered {
                registered = true
                logger.info("pool registered", metadata: ["pool.id": "\(configuration.poolID)", "zmq.endpoint": "\(configuration.broker)"])
                onReady(self)
            }
        } else if frames.frame(1, equals: Wire.Command.drain) {
            stop()
        } else if frames.frame(1, equals: Wire.Command.bye) {
            released = slots.busyCount == 0
        } else if frames.frame(1, equals: Wire.Command.error), frames.count == 5 {
            try handleBrokerError(code: frames.string(3), message: frames.string(4))
        }
    }

    private func handleBrokerError(code: String, message: String) throws {
        switch ErrorCode(rawValue: code) {
        case .notRegistered:
            try sendReady()
        case .duplicatePoolName:
            throw PoolConfigurationError(message)
        default:
            logger.info("broker refused a message", metadata: ["error.code": "\(code)", "error.message": "\(message)"])
        }
    }

    private func start(taskID: [UInt8], body: [UInt8]) {
        guard let worker = slots.acquire() else {
            backlog.append((taskID, body))
            return
        }
        let started = ContinuousClock.now
        let inbox = self.inbox
        let task = try? JSONCoding.decode(TaskRequest.self, from: body)
        let post: @Sendable (ExecutionOutcome) -> Void = { outcome in
            inbox.post(Completion(taskID: taskID, worker: worker, outcome: outcome, started: started, prompt: task?.prompt ?? ""))
        }
        guard let task else {
            return post(ExecutionOutcome(status: .failed, output: "", error: "invalid task body: expected a JSON object with a string 'prompt'"))
        }
        executor.run(task, completion: post)
    }

    private func sendResults() throws {
        for completion in inbox.take() {
            let result = TaskResult(
                taskID: String(decoding: completion.taskID, as: UTF8.self), poolID: configuration.poolID,
                workerID: slots.workerID(completion.worker), status: completion.outcome.status,
                output: completion.outcome.output, error: completion.outcome.error,
                duration: (ContinuousClock.now - completion.started).seconds
            )
            try socket.send(multipart: [Wire.version, Wire.Command.result, completion.taskID, try JSONCoding.encode(result)])
            hooks.taskFinished(TaskCompletedEvent(result: result, poolName: configuration.name, prompt: completion.prompt))
            slots.release(completion.worker)
            if !backlog.isEmpty {
                let next = backlog.removeFirst()
                start(taskID: next.taskID, body: next.body)
            }
        }
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

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
