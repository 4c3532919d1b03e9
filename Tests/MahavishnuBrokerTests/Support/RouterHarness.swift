import Foundation
import Logging
@testable import MahavishnuBroker
import MahavishnuCore
import ZeroMQ

/// A broker's router loop running in this process on loopback ports, for tests that script the
/// producers and pools around it message by message and take milliseconds.
///
/// Its peers are plain DEALERs owned by the test's thread, which blocks while it waits for a
/// message: run the tests `.serialized` and on the main actor, so that these suites together
/// hold at most one thread at a time.
final class RouterHarness {
    let broker: Broker
    let context: Context
    private let stopped = DispatchSemaphore(value: 0)

    /// Heartbeats every 100 ms, lost after three silent intervals: a scripted pool that stops
    /// beating is lost within about 300 ms, and one that beats every 20 ms survives a loaded machine.
    static func fastHeartbeats(_ configuration: inout BrokerConfiguration) {
        configuration.heartbeatInterval = .milliseconds(100)
        configuration.heartbeatLiveness = 3
    }

    private init(configuration: BrokerConfiguration) throws {
        var configuration = configuration
        configuration.frontend = "tcp://127.0.0.1:*"
        configuration.backend = "tcp://127.0.0.1:*"
        broker = try Broker(configuration: configuration, logger: Logger(label: "router-harness"))
        context = try Context()
        let broker = self.broker, stopped = self.stopped
        broker.start()
        Task.detached {
            try? await broker.finished()
            stopped.signal()
        }
    }

    /// Runs `body` against a fresh router loop configured by `configure`, and stops the loop after it.
    static func with<T>(_ configure: (inout BrokerConfiguration) -> Void = { _ in }, _ body: (RouterHarness) throws -> T) throws -> T {
        var configuration = BrokerConfiguration()
        configuration.affinityWait = .milliseconds(1)
        configure(&configuration)
        let harness = try RouterHarness(configuration: configuration)
        defer {
            harness.broker.stop()
            _ = harness.waitUntilStopped()
        }
        return try body(harness)
    }

    /// Whether the loop ended within `timeout`.
    func waitUntilStopped(timeout: Double = 5) -> Bool {
        guard stopped.wait(timeout: .now() + timeout) == .success else { return false }
        stopped.signal()
        return true
    }

    /// A producer, with its own `routingID` if given; one with a `receiveHighWaterMark` takes at
    /// most that many messages off the wire unread, and with a `receiveBuffer` the kernel holds
    /// about that many bytes for it (twice as many, as Linux counts).
    func producer(routingID: String? = nil, receiveHighWaterMark: Int32? = nil, receiveBuffer: Int32? = nil) throws -> ScriptedPeer {
        try ScriptedPeer(context: context, endpoint: broker.frontendEndpoint, routingID: routingID,
                         receiveHighWaterMark: receiveHighWaterMark, receiveBuffer: receiveBuffer)
    }

    /// A pool registered with `workers` slots (and `busy` of them still running from before).
    func pool(_ name: String, workers: Int = 1, session: String = "s1", busy: Int = 0) throws -> ScriptedPool {
        let pool = ScriptedPool(peer: try ScriptedPeer(context: context, endpoint: broker.backendEndpoint, routingID: "pool_\(name)"), name: name, workers: workers)
        try pool.register(session: session, busy: busy)
        return pool
    }
}

/// One DEALER and the frames it sends and receives, as strings.
final class ScriptedPeer {
    let socket: Socket
    /// Messages `control` received while it waited for its reply, for `receive` to return first.
    private var held: [[String]] = []

    init(context: Context, endpoint: String, routingID: String?, receiveHighWaterMark: Int32? = nil, receiveBuffer: Int32? = nil) throws {
        socket = try Socket(context, type: .dealer, linger: 0)
        if let routingID { try socket.set(.routingID, routingID) }
        if let receiveHighWaterMark { try socket.set(.receiveHighWaterMark, receiveHighWaterMark) }
        if let receiveBuffer { try socket.set(.receiveBuffer, receiveBuffer) }
        try socket.connect(endpoint)
    }

    deinit { socket.close() }

    func send(_ frames: [String]) throws {
        try socket.send(multipart: frames.map { Array($0.utf8) })
    }

    /// The next message, or `nil` after `milliseconds`.
    func receive(within milliseconds: Int32) throws -> [String]? {
        if !held.isEmpty { return held.removeFirst() }
        try socket.set(.receiveTimeout, milliseconds)
        return try socket.receiveMultipart().map { $0.map { String(decoding: $0, as: UTF8.self) } }
    }

    /// The next message; a failure if none comes within `milliseconds`.
    func next(within milliseconds: Int32 = 5_000) throws -> [String] {
        guard let message = try receive(within: milliseconds) else { throw HarnessFailure("no message within \(milliseconds) ms") }
        return message
    }

    /// Submits a task as a producer; a non-empty `schedule` goes in the eighth frame.
    func submit(_ taskID: String, prompt: String = "hello", selector: String = "", affinity: String = "", fallback: String = "", schedule: String = "") throws {
        try send(["MHV1", "TASK", taskID, selector, affinity, fallback, #"{"prompt":"\#(prompt)"}"#] + (schedule.isEmpty ? [] : [schedule]))
    }

    /// Sends `CTRL command arguments` and decodes its `REPLY`; what arrives before it (results,
    /// errors) is held for the next `receive`.
    func control<Reply: Decodable>(_ command: String, _ arguments: String, as type: Reply.Type) throws -> Reply {
        let requestID = "\(command)-\(UUID().uuidString)"
        try send(["MHV1", "CTRL", requestID, command, arguments])
        var arrived: [[String]] = []
        defer { held = arrived + held }
        while true {
            try socket.set(.receiveTimeout, Int32(5_000))
            guard let reply = try socket.receiveMultipart().map({ $0.map { String(decoding: $0, as: UTF8.self) } }) else {
                throw HarnessFailure("no reply to \(command) within 5000 ms")
            }
            if reply.count == 4, reply[1] == "REPLY", reply[2] == requestID { return try JSONCoding.decode(type, from: Array(reply[3].utf8)) }
            arrived.append(reply)
        }
    }

    /// The broker's counters, asked for with `CTRL stats`.
    func stats() throws -> BrokerStats {
        try control("stats", "{}", as: BrokerStats.self)
    }

    /// The broker's counters once `condition` holds for them, asked again until it does; a
    /// failure naming `what` if it does not within `milliseconds`.
    func stats(_ what: String, within milliseconds: Int = 5_000, until condition: (BrokerStats) -> Bool) throws -> BrokerStats {
        let deadline = ContinuousClock.now + .milliseconds(milliseconds)
        while true {
            let stats = try stats()
            if condition(stats) { return stats }
            guard ContinuousClock.now < deadline else { throw HarnessFailure("\(what): not within \(milliseconds) ms; last stats \(stats)") }
        }
    }
}

/// A pool spoken by the test: it registers, takes tasks and answers them when told to, and
/// beats while it waits (so only a pool the test stops using goes silent).
final class ScriptedPool {
    let peer: ScriptedPeer
    let name: String
    let workers: Int

    init(peer: ScriptedPeer, name: String, workers: Int) {
        self.peer = peer
        self.name = name
        self.workers = workers
    }

    var poolID: String { "pool_\(name)" }

    /// Sends `READY` and waits for `WELCOME`.
    func register(session: String, busy: Int = 0) throws {
        let registration = PoolRegistration(poolID: poolID, name: name, type: "mahavishnu", workerType: "echo", minWorkers: 1,
                                            maxWorkers: max(workers, 1), workers: workers, pid: 1, host: "test", busy: busy, session: session)
        try peer.socket.send(multipart: [Wire.version, Wire.Command.ready, try JSONCoding.encode(registration)])
        _ = try next("WELCOME")
    }

    /// The next message of `command`, beating every 20 ms while it waits; heartbeats are skipped.
    func next(_ command: String, within milliseconds: Int = 5_000) throws -> [String] {
        let deadline = ContinuousClock.now + .milliseconds(milliseconds)
        while ContinuousClock.now < deadline {
            guard let message = try peer.receive(within: 20) else {
                try peer.send(["MHV1", "HEARTBEAT"])
                continue
            }
            if message.count >= 2, message[1] == command { return message }
            if message.count >= 2, message[1] == "HEARTBEAT" { continue }
            throw HarnessFailure("pool \(name) expected \(command), got \(message)")
        }
        throw HarnessFailure("pool \(name) got no \(command) within \(milliseconds) ms")
    }

    /// The next task dispatched to this pool: its id and body.
    func nextTask(within milliseconds: Int = 5_000) throws -> (id: String, body: String) {
        let task = try next("TASK", within: milliseconds)
        return (task[2], task[3])
    }

    /// Answers `taskID` with a result of `status` whose output is `output`.
    func complete(_ taskID: String, output: String = "done", status: TaskStatus = .completed) throws {
        let result = TaskResult(taskID: taskID, poolID: poolID, workerID: "\(poolID)_w0", status: status, output: output, duration: 0.001)
        try peer.socket.send(multipart: [Wire.version, Wire.Command.result, Array(taskID.utf8), try JSONCoding.encode(result)])
    }
}

/// A reply a producer got: `RESULT` (with its attempts and result) or `ERROR`.
enum ProducerReply: Equatable {
    case result(taskID: String, attempts: Int, result: TaskResult)
    case error(reference: String, code: String, message: String)

    init(_ frames: [String]) throws {
        switch (frames.count, frames.count > 1 ? frames[1] : "") {
        case (5, "RESULT"):
            self = .result(taskID: frames[2], attempts: Int(frames[3]) ?? -1, result: try JSONCoding.decode(TaskResult.self, from: Array(frames[4].utf8)))
        case (5, "ERROR"):
            self = .error(reference: frames[2], code: frames[3], message: frames[4])
        default:
            throw HarnessFailure("not a RESULT or ERROR: \(frames)")
        }
    }
}

extension ScriptedPeer {
    /// The next `RESULT` or `ERROR`.
    func reply(within milliseconds: Int32 = 5_000) throws -> ProducerReply {
        try ProducerReply(next(within: milliseconds))
    }
}

struct HarnessFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
