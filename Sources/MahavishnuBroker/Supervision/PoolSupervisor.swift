import Foundation
import Logging
import MahavishnuCore
import Synchronization
import ZeroMQ

/// Starts pool processes as the broker's children, restarts the ones that crash (with backoff),
/// and reports when they exit.
///
/// Children are `mahavishnu-pool … --exit-with-parent` (`mahavishnu pool run …` for `session-buddy`
/// pools), so they stop even if the broker is killed. Their stderr is forwarded to the broker's
/// and its tail kept for error messages.
///
/// - Important: owned by the router thread; only the exit reports arrive from other threads,
///   through `events`.
final class PoolSupervisor {
    /// A child pool process ended.
    struct Exit: Sendable {
        let poolID: String
        let status: Int32
        let stderrTail: String
    }

    /// What happens after a child exits.
    enum Disposition: Equatable {
        /// It will be started again after this delay.
        case restarting(after: Duration)
        /// It is gone for good (it was closing, or the broker is stopping).
        case stopped
    }

    private struct Child {
        let request: PoolConfig
        var process: Process?
        var tail = StderrTail()
        var restarts = 0
        var startedAt = ContinuousClock.now
        var restartAt: ContinuousClock.Instant?
        var closing = false
    }

    let events = Mailbox<Exit>()
    private let executables: PoolExecutables
    /// Where its pools reach the broker, for their command lines.
    private let broker: PoolLaunchSpec.Broker
    private let settingsFile: String?
    /// Added to each child's environment (its CURVE keys, when the broker uses CURVE).
    private let childEnvironment: [String: String]
    /// More arguments for every pool process, after the ones the supervisor sets.
    private let extraArguments: [String]
    private let logger: Logger
    private var children: [String: Child] = [:]
    /// No restarts once the broker drains.
    var restartsEnabled = true

    init(executables: PoolExecutables, broker: PoolLaunchSpec.Broker, settingsFile: String?, childEnvironment: [String: String], logger: Logger, extraArguments: [String] = []) {
        self.executables = executables
        self.broker = broker
        self.settingsFile = settingsFile
        self.childEnvironment = childEnvironment
        self.logger = logger
        self.extraArguments = extraArguments
    }

    /// Child processes running now.
    var runningCount: Int { children.values.filter { $0.process != nil }.count }

    func isChild(_ poolID: String) -> Bool { children[poolID] != nil }

    func isRunning(_ poolID: String) -> Bool { children[poolID]?.process != nil }

    func pid(of poolID: String) -> Int32? { children[poolID]?.process?.processIdentifier }

    /// The name a child pool was started with.
    func name(of poolID: String) -> String? { children[poolID]?.request.name }

    /// Times the pool's process was restarted after crashing.
    func restarts(of poolID: String) -> Int { children[poolID]?.restarts ?? 0 }

    /// Starts a pool process for `request` under `poolID`; returns its pid.
    func start(_ request: PoolConfig, poolID: String) throws -> Int32 {
        children[poolID] = Child(request: request)
        do {
            return try launch(poolID)
        } catch {
            children[poolID] = nil
            throw error
        }
    }

    private func launch(_ poolID: String) throws -> Int32 {
        let request = children[poolID]!.request
        let (executable, command) = executables.command(for: request)
        guard FileManager.default.isExecutableFile(atPath: executable) else { throw MissingPoolExecutable(path: executable) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = command + PoolLaunchSpec(poolID: poolID, pool: request, broker: broker, settingsFile: settingsFile).arguments + extraArguments
        process.environment = ProcessInfo.processInfo.environment.merging(childEnvironment) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        let tail = StderrTail()
        let stderr = Pipe()
        stderr.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            guard !chunk.isEmpty else {
                handle.readabilityHandler = nil
                tail.end()
                return
            }
            FileHandle.standardError.write(chunk)
            tail.append(chunk)
        }
        process.standardError = stderr
        let events = self.events
        process.terminationHandler = { process in
            // The exit can be seen before the last of stderr is read: wait (briefly) for its end.
            events.post(Exit(poolID: poolID, status: process.terminationStatus, stderrTail: tail.textAtEnd(waitingUpTo: 1)))
        }
        try process.run()
        children[poolID]!.process = process
        children[poolID]!.tail = tail
        children[poolID]!.startedAt = .now
        children[poolID]!.restartAt = nil
        logger.info("pool process started", metadata: ["pool.id": "\(poolID)", "pool.name": "\(request.name)", "pool.pid": "\(process.processIdentifier)"])
        return process.processIdentifier
    }

    /// Records that a child exited and decides whether it comes back.
    ///
    /// The backoff doubles from 0.5 s up to 30 s, and starts over once a child has run for a minute.
    func exited(_ poolID: String) -> Disposition {
        guard var child = children[poolID] else { return .stopped }
        child.process = nil
        guard restartsEnabled, !child.closing else {
            children[poolID] = nil
            return .stopped
        }
        if ContinuousClock.now - child.startedAt > .seconds(60) { child.restarts = 0 }
        let delay = min(Duration.milliseconds(500) * (1 << min(child.restarts, 6)), .seconds(30))
        child.restarts += 1
        child.restartAt = .now + delay
        children[poolID] = child
        return .restarting(after: delay)
    }

    /// The earliest pending restart.
    var nextRestart: ContinuousClock.Instant? { children.values.compactMap(\.restartAt).min() }

    /// Starts again every child whose backoff has run out.
    func restartDue(_ now: ContinuousClock.Instant) {
        for (poolID, child) in children where child.restartAt.map({ $0 <= now }) ?? false {
            do {
                _ = try launch(poolID)
            } catch {
                logger.error("cannot restart a pool process", metadata: ["pool.id": "\(poolID)", "error": "\(error)"])
                children[poolID]!.restartAt = now + .seconds(30)
            }
        }
    }

    /// Asks a child to drain and exit (SIGTERM); a child waiting for its restart is dropped.
    func terminate(_ poolID: String) {
        guard children[poolID] != nil else { return }
        children[poolID]!.closing = true
        if let process = children[poolID]!.process {
            if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        } else {
            children[poolID] = nil
        }
    }

    /// Forgets a child whatever its state (one that never registered is not restarted).
    func abandon(_ poolID: String) {
        children[poolID] = nil
    }

    /// Forgets a child with no running process.
    func forget(_ poolID: String) {
        if children[poolID]?.process == nil { children[poolID] = nil }
    }

    /// Asks every child to drain and exit; none is restarted from now on.
    func terminateAll() {
        restartsEnabled = false
        for poolID in children.keys { terminate(poolID) }
    }

    /// Kills children still running (after a drain deadline) and waits for each to exit.
    func killRemaining() {
        for (poolID, child) in children {
            guard let process = child.process else { continue }
            if process.isRunning {
                logger.info("killing a pool that did not drain in time", metadata: ["pool.id": "\(poolID)", "pool.pid": "\(process.processIdentifier)"])
                kill(process.processIdentifier, SIGKILL)
            }
            process.waitUntilExit()
        }
        children.removeAll()
    }
}

/// The last few kilobytes a child wrote to stderr.
final class StderrTail: Sendable {
    private let buffer = Mutex<[UInt8]>([])
    private let ended = DispatchSemaphore(value: 0)

    /// Call when stderr reached its end.
    func end() { ended.signal() }

    /// The tail once stderr has ended, or after `seconds` (a descendant may hold it open).
    func textAtEnd(waitingUpTo seconds: Double) -> String {
        if ended.wait(timeout: .now() + seconds) == .success { ended.signal() }
        return text
    }

    func append(_ chunk: Data) {
        buffer.withLock { buffer in
            buffer.append(contentsOf: chunk)
            if buffer.count > 4096 { buffer.removeFirst(buffer.count - 4096) }
        }
    }

    var text: String { String(decoding: buffer.withLock { $0 }, as: UTF8.self) }
}
