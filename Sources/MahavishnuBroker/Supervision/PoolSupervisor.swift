import Foundation
import Logging
import MahavishnuCore
import MahavishnuProcess
import ZeroMQ

/// Starts pool processes as the broker's children, restarts the ones that crash (with backoff),
/// and reports when they exit.
///
/// Children are `mahavishnu-pool … --exit-with-parent` (`mahavishnu pool run …` for `session-buddy`
/// pools), each started as a `ChildProcess`, under a guardian that kills its process group if the
/// broker dies. A `ChildKeeper` thread owns them: it forwards their stderr to the broker's, keeps
/// its tail for error messages, and reaps them.
///
/// - Important: owned by the router thread; only the exit reports arrive from the keeper's
///   thread, through `events`.
final class PoolSupervisor {
    /// A child pool process ended.
    struct Exit: Sendable {
        let poolID: String
        /// Its exit status, or the number of the signal that killed it.
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
        /// The pool process's pid while it runs (until its exit is handled).
        var pid: Int32?
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
    /// Owns the running children; started with the first.
    private var keeper: ChildKeeper<String>?
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
    var runningCount: Int { children.values.filter { $0.pid != nil }.count }

    func isChild(_ poolID: String) -> Bool { children[poolID] != nil }

    func isRunning(_ poolID: String) -> Bool { children[poolID]?.pid != nil }

    /// The pool process's own pid (not its guardian's): the pid it registers with.
    func pid(of poolID: String) -> Int32? { children[poolID]?.pid }

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
        let spec = LaunchSpec(
            arguments: [executable] + command + PoolLaunchSpec(poolID: poolID, pool: request, broker: broker, settingsFile: settingsFile).arguments + extraArguments,
            environment: LaunchSpec.environment(overriding: childEnvironment), workingDirectory: nil,
            pipeStandardInput: false, pipeStandardOutput: false
        )
        let child = try ChildProcess.launch(spec)
        let pid = child.pid
        runningKeeper.keep(child, as: poolID)
        children[poolID]!.pid = pid
        children[poolID]!.startedAt = .now
        children[poolID]!.restartAt = nil
        logger.info("pool process started", metadata: ["pool.id": "\(poolID)", "pool.name": "\(request.name)", "pool.pid": "\(pid)"])
        return pid
    }

    /// The keeper, started if there is none yet; each exit it sees goes to `events`.
    private var runningKeeper: ChildKeeper<String> {
        if let keeper { return keeper }
        let events = self.events
        let keeper = ChildKeeper<String>(name: "mahavishnu.pool-supervisor") { ended in
            let status = switch ended.termination {
            case .exited(let status), .signalled(let status): status
            }
            events.post(Exit(poolID: ended.id, status: status, stderrTail: ended.stderrTail))
        }
        self.keeper = keeper
        return keeper
    }

    /// Records that a child exited and decides whether it comes back.
    ///
    /// The backoff doubles from 0.5 s up to 30 s, and starts over once a child has run for a minute.
    func exited(_ poolID: String) -> Disposition {
        guard var child = children[poolID] else { return .stopped }
        child.pid = nil
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
        if children[poolID]!.pid != nil {
            keeper?.signal(poolID, SIGTERM)
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
        if children[poolID]?.pid == nil { children[poolID] = nil }
    }

    /// Asks every child to drain and exit; none is restarted from now on.
    func terminateAll() {
        restartsEnabled = false
        for poolID in children.keys { terminate(poolID) }
    }

    /// Kills children still running (after a drain deadline) and waits until each is reaped.
    func killRemaining() {
        for (poolID, child) in children {
            guard let pid = child.pid else { continue }
            logger.info("killing a pool that did not drain in time", metadata: ["pool.id": "\(poolID)", "pool.pid": "\(pid)"])
        }
        keeper?.signalAll(SIGKILL)
        keeper?.finish()
        keeper = nil
        children.removeAll()
    }
}
