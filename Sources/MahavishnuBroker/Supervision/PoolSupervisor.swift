import Foundation
import Logging
import MahavishnuCore
import Synchronization
import ZeroMQ

/// Starts pool processes as the broker's children and reports when they exit.
///
/// Children are `mahavishnu pool run … --exit-with-parent`, so they stop even if the broker is
/// killed. Their stderr is forwarded to the broker's and its tail kept for error messages.
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

    let events = Mailbox<Exit>()
    private let executable: String
    private let backend: String
    private let settingsFile: String?
    private let extraArguments: [String]
    private let logger: Logger
    private var children: [String: Process] = [:]
    private var stderrTails: [String: StderrTail] = [:]

    /// `extraArguments` go to every pool process after the ones the supervisor sets.
    init(executable: String, backend: String, settingsFile: String?, logger: Logger, extraArguments: [String] = []) {
        self.executable = executable
        self.backend = backend
        self.settingsFile = settingsFile
        self.logger = logger
        self.extraArguments = extraArguments
    }

    var childCount: Int { children.count }

    func isChild(_ poolID: String) -> Bool { children[poolID] != nil }

    func pid(of poolID: String) -> Int32? { children[poolID]?.processIdentifier }

    /// Starts a pool process for `request` under `poolID`; returns its pid.
    func start(_ request: PoolSpawnRequest, poolID: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["pool", "run", "--id", poolID, "--name", request.name, "--type", request.poolType,
                             "--min", "\(request.minWorkers)", "--max", "\(request.maxWorkers)",
                             "--worker-type", request.workerType, "--broker", backend, "--exit-with-parent"]
            + (settingsFile.map { ["--settings", $0] } ?? []) + extraArguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        let tail = StderrTail()
        let stderr = Pipe()
        stderr.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            guard !chunk.isEmpty else {
                handle.readabilityHandler = nil
                return
            }
            FileHandle.standardError.write(chunk)
            tail.append(chunk)
        }
        process.standardError = stderr
        let events = self.events
        process.terminationHandler = { process in
            events.post(Exit(poolID: poolID, status: process.terminationStatus, stderrTail: tail.text))
        }
        try process.run()
        children[poolID] = process
        stderrTails[poolID] = tail
        logger.info("pool process started", metadata: ["pool.id": "\(poolID)", "pool.name": "\(request.name)", "pool.pid": "\(process.processIdentifier)"])
        return process.processIdentifier
    }

    /// Forgets a child that has exited.
    func reap(_ poolID: String) {
        children[poolID] = nil
        stderrTails[poolID] = nil
    }

    /// Asks a child to drain and exit (SIGTERM).
    func terminate(_ poolID: String) {
        guard let process = children[poolID], process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
    }

    /// Asks every child to drain and exit.
    func terminateAll() {
        for poolID in children.keys { terminate(poolID) }
    }

    /// Kills children still running (after a drain deadline) and waits for each to exit.
    func killRemaining() {
        for (poolID, process) in children {
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

    func append(_ chunk: Data) {
        buffer.withLock { buffer in
            buffer.append(contentsOf: chunk)
            if buffer.count > 4096 { buffer.removeFirst(buffer.count - 4096) }
        }
    }

    var text: String { String(decoding: buffer.withLock { $0 }, as: UTF8.self) }
}
