import ArgumentParser
import Foundation
import MahavishnuCore
import ZeroMQ

/// `_fake-pools`: registers many pools from one process, for the 1,000-pool and 10,000-worker
/// scenarios, where one real process per pool would measure process count instead of routing.
///
/// Each fake pool is a raw DEALER that speaks the pool side of MHV1 (`READY`, a `HEARTBEAT`
/// every `--heartbeat-ms` as a real pool sends one, and a `RESULT` for every `TASK`) and
/// echoes the task body back as the result body: no JSON, no worker threads. Results labelled
/// "fake pools" measure the broker, not a real pool process.
/// Prints `fake-pools ready count=…` once the broker has welcomed every one.
struct FakePoolsRole: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: ChildRole.fakePools,
        abstract: "Internal: many lightweight pools (raw DEALERs echoing tasks) in one process.",
        shouldDisplay: false
    )

    @Option(help: "The broker's backend endpoint.")
    var broker: String

    @Option(help: "How many pools to register.")
    var count: Int

    @Option(help: "Worker slots each pool announces (its credit).")
    var workers: Int

    @Option(help: "Prefix of the pools' ids and names.")
    var prefix = "fake"

    @Option(help: "Milliseconds between heartbeats: as often as a real pool beats (heartbeat_interval_ms, 1,000 by default).")
    var heartbeatMs = 1_000

    @Option(help: "Partial outputs (PARTIAL, the task body each) sent for every streaming task before its result, within the broker's credit.")
    var partials = 0

    func validate() throws {
        guard count >= 1, workers >= 1, heartbeatMs >= 1 else { throw ValidationError("--count, --workers and --heartbeat-ms must be at least 1") }
        guard partials >= 0 else { throw ValidationError("--partials must be 0 or more") }
    }

    func run() async throws {
        ParentWatch.start(onParentGone: .exitNow)
        let (broker, count, workers, prefix, heartbeat, partials) = (broker, count, workers, prefix, heartbeatMs, partials)
        try await onDedicatedThread(named: "bench.fake-pools") {
            let pools = try FakePoolSet(broker: broker, count: count, workers: workers, prefix: prefix, heartbeatMilliseconds: heartbeat, partials: partials)
            defer { pools.close() }
            try pools.run()
        }
    }
}

/// The sockets of every fake pool, served by one thread that waits on all of them with a
/// `ManySocketPoller`, so a message costs the same with 1,000 pools as with one.
final class FakePoolSet {
    private let context: Context
    private let sockets: [Socket]
    private let registrations: [[UInt8]]
    /// The vitals every heartbeat carries: idle fake workers, no history.
    private let vitals: [UInt8]
    private let heartbeatInterval: Duration
    private let poller: ManySocketPoller
    private let frames = Frames(capacity: 8)
    private var welcomed = 0
    /// `PARTIAL`s sent before each streaming task's result.
    private let partials: Int
    /// Their sequence numbers as frames, made once.
    private let sequences: [[UInt8]]
    /// Streaming tasks still sending partials, by task id: as far as the broker's credit let them.
    private var streams: [[UInt8]: FakeStream] = [:]

    init(broker: String, count: Int, workers: Int, prefix: String, heartbeatMilliseconds: Int, partials: Int = 0) throws {
        self.partials = partials
        sequences = (0..<partials).map { Array(String($0).utf8) }
        context = try Context(maxSockets: max(Context.defaultMaxSockets, Int32(clamping: count)))
        poller = try ManySocketPoller()
        var sockets: [Socket] = []
        var registrations: [[UInt8]] = []
        do {
            for index in 0..<count {
                let poolID = "\(prefix)_\(index)"
                let socket = try Socket(context, type: .dealer, linger: 0)
                sockets.append(socket)
                try socket.set(.routingID, poolID)
                try socket.set(.sendHighWaterMark, 0)
                try socket.set(.receiveHighWaterMark, 0)
                try socket.connect(broker)
                try poller.add(socket, tag: index)
                registrations.append(try JSONCoding.encode(PoolRegistration(
                    poolID: poolID, name: "\(prefix)-\(index)", type: "bench-fake", workerType: "echo",
                    minWorkers: workers, maxWorkers: workers, workers: workers,
                    pid: getpid(), host: ProcessInfo.processInfo.hostName
                )))
            }
        } catch {
            for socket in sockets { socket.close() }
            throw error
        }
        self.sockets = sockets
        self.registrations = registrations
        vitals = try JSONCoding.encode(PoolVitals(
            activeWorkers: 0, totalWorkers: workers, tasksCompleted: 0, tasksFailed: 0,
            averageDurationMs: 0, p99DurationMs: 0, residentMemoryMB: 0
        ))
        heartbeatInterval = .milliseconds(heartbeatMilliseconds)
    }

    func close() {
        for socket in sockets { socket.close() }
    }

    /// Registers every pool, then answers tasks and heartbeats until the process is stopped.
    func run() throws {
        for (socket, registration) in zip(sockets, registrations) {
            try socket.send(multipart: [Wire.version, Wire.Command.ready, registration])
        }
        for index in sockets.indices { try serve(index) }
        var nextHeartbeat = ContinuousClock.now + heartbeatInterval
        while true {
            let untilHeartbeat = nextHeartbeat - .now
            let timeout = max(0, Int32(untilHeartbeat.components.seconds * 1000 + untilHeartbeat.components.attoseconds / 1_000_000_000_000_000))
            for index in try poller.wait(timeoutMilliseconds: timeout) { try serve(index) }
            if ContinuousClock.now >= nextHeartbeat {
                for index in sockets.indices {
                    try sockets[index].send(multipart: [Wire.version, Wire.Command.heartbeat, vitals])
                    try serve(index)
                }
                nextHeartbeat = .now + heartbeatInterval
            }
        }
    }

    /// Handles every message waiting on pool `index`; returns once none is (which re-arms its descriptor).
    private func serve(_ index: Int) throws {
        let socket = sockets[index]
        while try socket.hasIncoming {
            guard try socket.receive(into: frames, dontWait: true) else { continue }
            guard frames.count >= 2, frames.frame(0, equals: Wire.version) else { continue }
            if frames.frame(1, equals: Wire.Command.task), frames.count == 5, !sequences.isEmpty, let window = Int(frames.string(4)) {
                let taskID = frames.bytes(2)
                streams[taskID] = FakeStream(socket: index, body: frames.bytes(3), credit: window)
                try stream(taskID)
            } else if frames.frame(1, equals: Wire.Command.task), frames.count >= 4 {
                try socket.send(Wire.version, more: true)
                try socket.send(Wire.Command.result, more: true)
                try socket.send(frame: 2, of: frames, more: true)
                try socket.send(frame: 3, of: frames)
            } else if frames.frame(1, equals: Wire.Command.credit), frames.count == 4, let granted = Int(frames.string(3)) {
                let taskID = frames.bytes(2)
                streams[taskID]?.credit += granted
                try stream(taskID)
            } else if frames.frame(1, equals: Wire.Command.welcome) {
                welcomed += 1
                if welcomed == sockets.count { ReadyLine.announce("fake-pools ready count=\(sockets.count)") }
            } else if frames.frame(1, equals: Wire.Command.error), frames.count == 5 {
                throw BenchError("the broker refused fake pool \(index): \(frames.string(3)): \(frames.string(4))")
            }
        }
    }

    /// Sends a streaming task's partials as far as its credit goes, and its result after the last.
    private func stream(_ taskID: [UInt8]) throws {
        guard var stream = streams[taskID] else { return }
        let socket = sockets[stream.socket]
        while stream.credit > 0 && stream.sent < sequences.count {
            try socket.send(multipart: [Wire.version, Wire.Command.partial, taskID, sequences[stream.sent], stream.body])
            stream.sent += 1
            stream.credit -= 1
        }
        guard stream.sent == sequences.count else {
            streams[taskID] = stream
            return
        }
        streams[taskID] = nil
        try socket.send(multipart: [Wire.version, Wire.Command.result, taskID, stream.body])
    }
}

/// A fake pool's streaming task: its partials sent so far, and the credit left for more.
private struct FakeStream {
    let socket: Int
    let body: [UInt8]
    var credit: Int
    var sent = 0
}
