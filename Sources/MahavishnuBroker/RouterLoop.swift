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
    let defaultSelector: PoolSelector
    private let wakeup = Wakeup()
    private let stopRequested = Atomic<Bool>(false)
    private let poller = Poller()
    private let frontendItem: Int
    private let backendItem: Int
    private let wakeupItem: Int

    /// The message being handled; every receive reuses it.
    let frames = Frames(capacity: 16)
    var registry = PoolRegistry()
    var available = AvailablePools()
    var queues: TaskQueues
    /// In-flight tasks by task id: who sent each, which pool runs it, its body for a retry.
    var leases: [[UInt8]: TaskLease] = [:]
    var stats = BrokerStats()
    /// Ticks once per dispatch; a pool's `lastUse` is the tick of its last task.
    var dispatchClock: UInt64 = 0
    /// Ticks once per accepted task, to order queued tasks.
    var arrivalClock: UInt64 = 0

    init(configuration: BrokerConfiguration, context: Context, logger: Logger) throws {
        self.logger = logger
        defaultSelector = configuration.defaultSelector
        queues = TaskQueues(bound: configuration.queueBound)
        frontend = try Socket(context, type: .router, linger: 0)
        backend = try Socket(context, type: .router, linger: 0)
        do {
            for socket in [frontend, backend] {
                try socket.set(.routerMandatory, 1)
                try socket.set(.sendHighWaterMark, configuration.highWaterMark)
                try socket.set(.receiveHighWaterMark, configuration.highWaterMark)
            }
            // A pool that reconnects under the same id takes its routing id over from the dead link.
            try backend.set(.routerHandover, 1)
            try Self.bind(frontend, configuration.frontend, role: "frontend")
            try Self.bind(backend, configuration.backend, role: "backend")
        } catch {
            frontend.close()
            backend.close()
            throw error
        }
        frontendItem = poller.addReadable(frontend)
        backendItem = poller.addReadable(backend)
        wakeupItem = poller.addReadable(fileDescriptor: wakeup.fileDescriptor)
    }

    private static func bind(_ socket: Socket, _ endpoint: String, role: String) throws {
        do {
            try socket.bind(endpoint)
        } catch let error as ZMQError {
            throw BrokerError(code: .bindFailed, message: "cannot bind the \(role) to \(endpoint): \(error)")
        }
    }

    func requestStop() {
        stopRequested.store(true, ordering: .releasing)
        wakeup.signal()
    }

    /// Polls and handles messages until `requestStop()`; closes both sockets on the way out.
    func run() throws {
        defer {
            frontend.close()
            backend.close()
        }
        let endpoints = (frontend: try frontend.lastEndpoint, backend: try backend.lastEndpoint)
        logger.info("router loop running", metadata: ["zmq.frontend": "\(endpoints.frontend)", "zmq.backend": "\(endpoints.backend)"])
        while !stopRequested.load(ordering: .acquiring) {
            try poller.poll(timeoutMilliseconds: -1)
            if poller.isReadable(wakeupItem) { wakeup.drain() }
            // Results first: they free the slots that waiting and new tasks need.
            if poller.isReadable(backendItem) { try drain(backend, handler: handleBackendMessage) }
            if poller.isReadable(frontendItem) { try drain(frontend, handler: handleFrontendMessage) }
        }
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

/// A task a pool is running: the lease the broker holds until its result comes back.
struct TaskLease {
    var task: PendingTask
    /// The registry slot of the pool running it.
    let poolSlot: Int
}

/// An error that stops the broker from starting or running.
public struct BrokerError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable { case bindFailed }
    public let code: Code
    public let message: String
    public var description: String { message }
}
