import Foundation
import Logging
import MahavishnuCore
@testable import MahavishnuPool
import ZeroMQ

/// A pool process's loop running in this process against a ROUTER the test speaks for the
/// broker, message by message.
///
/// The ROUTER is owned by the test's thread, which blocks while it waits: run the tests
/// `.serialized` and on the main actor, so that these suites together hold at most one thread at a time.
final class ScriptedBroker {
    let context: Context
    let router: Socket
    let endpoint: String
    private var pools: [(pool: PoolProcess, stopped: DispatchSemaphore)] = []

    init() throws {
        context = try Context()
        router = try Socket(context, type: .router, linger: 0)
        try router.bind("tcp://127.0.0.1:*")
        endpoint = try router.lastEndpoint
    }

    deinit {
        for entry in pools {
            entry.pool.stop()
            _ = entry.stopped.wait(timeout: .now() + 5)
        }
        router.close()
    }

    /// Starts a pool of `workers` echo workers (by default) on its own thread, connected to this broker.
    @discardableResult
    func startPool(_ name: String, workers: Int = 1, maxWorkers: Int = 4, configure: (inout PoolConfiguration) -> Void = { _ in }) throws -> PoolProcess {
        var configuration = PoolConfiguration()
        configuration.poolID = "pool_\(name)"
        configuration.name = name
        configuration.minWorkers = workers
        configuration.maxWorkers = maxWorkers
        configuration.broker = endpoint
        configuration.drainTimeout = 0.1
        configure(&configuration)
        let pool = try PoolProcess(configuration: configuration, logger: Logger(label: "scripted-pool"))
        let stopped = DispatchSemaphore(value: 0)
        pool.start()
        Task.detached {
            try? await pool.finished()
            stopped.signal()
        }
        pools.append((pool, stopped))
        return pool
    }

    /// Whether the pool ended within `timeout`.
    func waitUntilStopped(_ pool: PoolProcess, timeout: Double = 5) -> Bool {
        guard let entry = pools.first(where: { $0.pool === pool }), entry.stopped.wait(timeout: .now() + timeout) == .success else { return false }
        entry.stopped.signal()
        return true
    }

    /// The next message from any pool whose command is `command` (heartbeats skipped): the pool's routing id and the frames after it.
    func next(_ command: String, within milliseconds: Int = 5_000) throws -> (from: [UInt8], frames: [String]) {
        let deadline = ContinuousClock.now + .milliseconds(milliseconds)
        while ContinuousClock.now < deadline {
            try router.set(.receiveTimeout, 50)
            guard let message = try router.receiveMultipart() else { continue }
            let frames = message.dropFirst().map { String(decoding: $0, as: UTF8.self) }
            if frames.count >= 2, frames[1] == "HEARTBEAT" { continue }
            guard frames.count >= 2, frames[1] == command else { throw ScriptFailure("expected \(command), got \(frames)") }
            return (message[0], frames)
        }
        throw ScriptFailure("no \(command) within \(milliseconds) ms")
    }

    /// Waits for the pool's `READY` and answers `WELCOME` with `terms`; returns its registration.
    @discardableResult
    func welcome(terms: WelcomeTerms = WelcomeTerms(heartbeatInterval: .seconds(1), liveness: 3)) throws -> (from: [UInt8], registration: PoolRegistration) {
        let ready = try next("READY")
        try send(to: ready.from, ["MHV1", "WELCOME", String(decoding: try JSONCoding.encode(terms), as: UTF8.self)])
        return (ready.from, try JSONCoding.decode(PoolRegistration.self, from: Array(ready.frames[2].utf8)))
    }

    func send(to pool: [UInt8], _ frames: [String]) throws {
        try router.send(multipart: [pool] + frames.map { Array($0.utf8) })
    }

    /// Sends `TASK` and returns the pool's `RESULT` for it, decoded.
    func run(_ taskID: String, body: String, on pool: [UInt8]) throws -> TaskResult {
        try send(to: pool, ["MHV1", "TASK", taskID, body])
        let result = try next("RESULT")
        guard result.frames[2] == taskID else { throw ScriptFailure("a result for \(result.frames[2]), not \(taskID)") }
        return try JSONCoding.decode(TaskResult.self, from: Array(result.frames[3].utf8))
    }
}

struct ScriptFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
