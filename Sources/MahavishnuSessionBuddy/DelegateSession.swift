import Logging
import MahavishnuCore
import MahavishnuPool
import MCP
import Synchronization

/// Whether a delegated pool can run tasks now; readable from any thread without waiting.
final class DelegateStatus: Sendable {
    private let reason = Mutex<String?>(nil)

    /// Why the delegate service cannot be used now, or `nil` when it can.
    var unavailableReason: String? { reason.withLock { $0 } }

    func markUnavailable(_ why: String) { reason.withLock { $0 = why } }

    func markAvailable() { reason.withLock { $0 = nil } }
}

/// A delegated pool's side of its delegate service: the MCP connection, the service's workers
/// this pool owns (one per worker slot of the pool), and reconnecting with backoff after the
/// service went away.
///
/// The pool's workers are the service's workers: the pool asks for as many (`worker_spawn`) as it
/// has slots, runs each task on an idle one (`worker_execute`), and closes its own workers, and
/// only those (`worker_close`), when it shrinks or stops.
actor DelegateSession {
    /// Whether the service can be used; the pool announces no capacity while it cannot.
    nonisolated let status = DelegateStatus()
    private let name: String
    private let definition: DelegateDefinition
    private let workerType: String
    private let logger: Logger
    private var link: DelegateLink?
    /// Counts connections, so a report from an old one is ignored.
    private var generation = 0
    private var idle: [String] = []
    private var busy: Set<String> = []
    /// Workers of a connection that was lost; closed through the next one, if the service still knows them.
    private var orphans: [String] = []
    /// The service's workers the pool should have: its worker slots.
    private var target: Int
    private var reconciling = false
    private var closed = false
    private var reconnecting: Task<Void, Never>?
    /// Pings an HTTP service, whose going away nothing else reports while the pool is idle.
    private var watching: Task<Void, Never>?
    /// Time between pings of an HTTP service.
    private static let pingInterval = Duration.seconds(2)

    init(name: String, definition: DelegateDefinition, workerType: String, workers: Int, logger: Logger) {
        self.name = name
        self.definition = definition
        self.workerType = workerType
        target = workers
        self.logger = logger
    }

    /// The service, for messages.
    private var service: String { "delegate '\(name)' (\(definition.displayName))" }

    /// A call to a service that must answer quickly (spawn, close).
    private var controlTimeout: Duration { .seconds(definition.startTimeoutSeconds) }

    /// Connects and spawns the pool's workers; throws why the service cannot be used.
    func start() async throws {
        try await connect()
    }

    private func connect() async throws {
        let generation = self.generation + 1
        let status = self.status
        let link = try await DelegateLink.open(definition, timeout: controlTimeout, logger: logger) { reason in
            status.markUnavailable(reason)
            Task { await self.lost(reason, generation: generation) }
        }
        for orphan in orphans { _ = try? await link.call("worker_close", ["worker_id": .string(orphan)], timeout: controlTimeout) }
        orphans = []
        let spawned: [String]
        do {
            spawned = try await spawn(target, on: link)
        } catch {
            link.close()
            throw error
        }
        self.generation = generation
        self.link = link
        idle = spawned
        busy = []
        status.markAvailable()
        if !link.isChildProcess { watching = Task { await self.watch(link, generation: generation) } }
        logger.info("delegate service connected", metadata: ["delegate.name": "\(name)", "delegate.workers": "\(spawned.count)"])
        await reconcile()
    }

    private func spawn(_ count: Int, on link: DelegateLink) async throws -> [String] {
        guard count > 0 else { return [] }
        let reply = try await link.call("worker_spawn", ["worker_type": .string(workerType), "count": .int(count)], timeout: controlTimeout)
        return try reply.workerIDs()
    }

    /// Runs one task on an idle worker of the service.
    func execute(_ assignment: TaskAssignment) async -> ExecutionOutcome {
        guard let link, status.unavailableReason == nil else {
            return .lost("\(service) is unreachable: \(status.unavailableReason ?? "not connected")")
        }
        let worker: String
        if idle.isEmpty {
            do {
                guard let spawned = try await spawn(1, on: link).first else { return .failed("\(service): worker_spawn returned no worker") }
                worker = spawned
            } catch {
                return outcome(of: error, link: link, timeout: assignment.timeout)
            }
        } else {
            worker = idle.removeFirst()
        }
        busy.insert(worker)
        let arguments: [String: Value] = [
            "worker_id": .string(worker), "prompt": .string(assignment.task.prompt),
            "timeout": .int(Int(min(max(assignment.timeout.seconds.rounded(.up), 30), 3600))),
        ]
        let outcome: ExecutionOutcome
        do {
            outcome = try await link.call("worker_execute", arguments, timeout: assignment.timeout + .seconds(5)).outcome()
        } catch {
            outcome = self.outcome(of: error, link: link, timeout: assignment.timeout)
        }
        await giveBack(worker, from: link)
        return outcome
    }

    /// The outcome of a task whose call failed: a tool error fails it, a missed deadline times it
    /// out, a broken connection loses it (the broker runs it again elsewhere).
    private func outcome(of error: any Error, link: DelegateLink, timeout: Duration) -> ExecutionOutcome {
        switch error {
        case let refusal as DelegateError:
            return .failed("\(service): \(refusal.description)")
        case is DeadlineExceeded:
            return .timedOut(after: timeout, detail: "; \(service) did not answer in time")
        default:
            let reason = status.unavailableReason ?? "\(service) became unreachable: \(error)"
            status.markUnavailable(reason)
            let generation = self.generation
            Task { self.lost(reason, generation: generation) }
            return .lost(reason)
        }
    }

    /// Returns a worker after its task: idle again, or closed if the pool shrank meanwhile.
    private func giveBack(_ worker: String, from link: DelegateLink) async {
        guard busy.remove(worker) != nil, link === self.link else { return }
        if idle.count + busy.count >= target {
            _ = try? await link.call("worker_close", ["worker_id": .string(worker)], timeout: controlTimeout)
        } else {
            idle.append(worker)
        }
    }

    /// The pool now has `workers` slots: the service's workers follow.
    func resize(to workers: Int) async {
        target = workers
        await reconcile()
    }

    /// Spawns or closes idle workers until the pool owns `target` (busy ones beyond it close after their task).
    private func reconcile() async {
        guard !reconciling else { return }
        reconciling = true
        defer { reconciling = false }
        while let link, !closed {
            let owned = idle.count + busy.count
            do {
                if owned < target {
                    idle += try await spawn(target - owned, on: link)
                } else if owned > target, !idle.isEmpty {
                    let surplus = idle.suffix(min(owned - target, idle.count))
                    idle.removeLast(surplus.count)
                    for worker in surplus { _ = try await link.call("worker_close", ["worker_id": .string(worker)], timeout: controlTimeout) }
                } else {
                    return
                }
            } catch {
                return logger.info("delegate service refused a resize", metadata: ["delegate.name": "\(name)", "error": "\(error)"])
            }
        }
    }

    /// Pings the service of connection `generation` until it fails to answer, then reports it lost.
    private func watch(_ link: DelegateLink, generation: Int) async {
        while !closed, generation == self.generation {
            try? await Task.sleep(for: Self.pingInterval)
            guard !Task.isCancelled, !closed, generation == self.generation else { return }
            do {
                try await link.ping(timeout: min(controlTimeout, .seconds(5)))
            } catch {
                let reason = "\(service) does not answer: \(error)"
                status.markUnavailable(reason)
                return lost(reason, generation: generation)
            }
        }
    }

    /// The connection `generation` ended by itself: reconnect with backoff until closed.
    private func lost(_ reason: String, generation: Int) {
        guard generation == self.generation, let link, !closed else { return }
        logger.info("delegate service unreachable", metadata: ["delegate.name": "\(name)", "reason": "\(reason)"])
        self.link = nil
        orphans = idle + busy
        idle = []
        busy = []
        link.close()
        reconnecting = Task { await self.reconnect(after: reason) }
    }

    private func reconnect(after reason: String) async {
        var delay = Duration.milliseconds(500)
        while !closed {
            try? await Task.sleep(for: delay)
            guard !closed else { return }
            do {
                return try await connect()
            } catch {
                status.markUnavailable("\(reason); reconnecting failed: \(error)")
                delay = min(delay * 2, .seconds(5))
            }
        }
    }

    /// Closes the pool's own workers at the service and the connection; nothing is restarted after.
    func close() async {
        closed = true
        reconnecting?.cancel()
        watching?.cancel()
        guard let link else { return }
        self.link = nil
        let owned = idle + busy
        let timeout = controlTimeout
        await withTaskGroup(of: Void.self) { group in
            for worker in owned {
                group.addTask { _ = try? await link.call("worker_close", ["worker_id": .string(worker)], timeout: timeout) }
            }
        }
        link.close()
    }
}
