import Foundation
import Logging
import MahavishnuCore
import Synchronization

/// Delegation between pools over the bus, for one pool process (or any client with a bus id).
///
/// Asking: `delegate(_:to:completion:)` publishes a `task_delegate` targeted at the other pool
/// and completes when the `result_share` targeted back at this bus arrives. Answering: every
/// `task_delegate` targeted at this bus is submitted to the broker as a normal task pinned to
/// this pool, and its result is published back to the asker as `result_share`.
public final class InterPoolDelegation: TaskDelegating, Sendable {
    /// A delegation sent and awaiting its `result_share`, with the timer that fails it if none comes.
    private struct Waiting: Sendable {
        let completion: @Sendable (Result<TaskResult, any Error>) -> Void
        let timer: Task<Void, Never>
    }

    private let bus: MessageBus
    private let broker: BrokerClient
    private let poolName: String
    private let defaultTimeout: Duration
    private let logger: Logger
    /// Delegations sent and awaiting their `result_share`, by delegation id.
    private let waiting = Mutex<[String: Waiting]>([:])
    private let loops = Mutex<[Task<Void, Never>]>([])

    /// Delegates and answers as the pool `bus.identity` (named `poolName`), submitting through `broker`.
    ///
    /// - Parameter defaultTimeout: how long a delegation waits for its result when the task names no `timeout`.
    public init(bus: MessageBus, broker: BrokerClient, poolName: String, defaultTimeout: Duration = .seconds(300), logger: Logger = Logger(label: "mahavishnu.delegation")) {
        self.bus = bus
        self.broker = broker
        self.poolName = poolName
        self.defaultTimeout = defaultTimeout
        self.logger = logger
    }

    /// Subscribes to the `task_delegate` and `result_share` messages targeted at this pool and
    /// serves them until `stop()`. Follow with `bus.roundTrip()` to wait until they are in effect.
    public func start() {
        let requests = bus.subscribe(to: [.taskDelegate], scope: .direct)
        let answers = bus.subscribe(to: [.resultShare], scope: .direct)
        let serving = Task { await self.serve(requests) }
        let collecting = Task { await self.collect(answers) }
        loops.withLock { $0 = [serving, collecting] }
    }

    /// Stops serving; delegations still waiting fail with `DelegationError.stopped`.
    public func stop() {
        for loop in loops.withLock({ $0 }) { loop.cancel() }
        let abandoned = waiting.withLock { waiting in
            defer { waiting.removeAll() }
            return Array(waiting.keys)
        }
        for delegationID in abandoned { finish(delegationID, with: .failure(DelegationError.stopped)) }
    }

    // MARK: Asking

    /// Publishes `task` to `pool` (a name or id, resolved through the broker) and completes with
    /// its `result_share`, or with a `DelegationError` when there is no such pool, the pool is
    /// this one, it could not run the task, or nothing came back within the task's timeout.
    public func delegate(_ task: TaskRequest, to pool: String, completion: @escaping @Sendable (Result<TaskResult, any Error>) -> Void) {
        let timeout = task.timeout.map { Duration.milliseconds(Int64($0 * 1000)) } ?? defaultTimeout
        let delegationID = UUID().uuidString
        Task {
            let target: String
            do {
                target = try await resolve(pool)
            } catch {
                return completion(.failure(error))
            }
            let timer = Task {
                try? await Task.sleep(for: timeout)
                if !Task.isCancelled { finish(delegationID, with: .failure(DelegationError.timedOut(pool: pool, after: timeout))) }
            }
            waiting.withLock { $0[delegationID] = Waiting(completion: completion, timer: timer) }
            do {
                try bus.publish(.taskDelegate, payload: TaskDelegateRequest(delegationID: delegationID, replyTo: bus.identity, task: task), target: target)
                logger.debug("task delegated", metadata: ["delegation.id": "\(delegationID)", "pool.target": "\(target)"])
            } catch {
                finish(delegationID, with: .failure(error))
            }
        }
    }

    /// The pool id of `pool` (an id or name) among the broker's live pools; never this pool itself.
    private func resolve(_ pool: String) async throws -> String {
        let pools = try await broker.control(.list, as: PoolList.self).pools
        guard let match = pools.first(where: { $0.poolID == pool }) ?? pools.first(where: { $0.name == pool }) else {
            throw DelegationError.noSuchPool(pool, live: pools.map(\.name).sorted())
        }
        guard match.poolID != bus.identity else { throw DelegationError.toItself(poolName) }
        return match.poolID
    }

    private func collect(_ answers: AsyncStream<BusMessage>) async {
        for await message in answers {
            guard let share = try? message.payload(as: ResultShare.self) else {
                logger.info("ignoring an unreadable result_share", metadata: ["bus.source": "\(message.sourcePoolID)"])
                continue
            }
            if let result = share.result {
                finish(share.delegationID, with: .success(result))
            } else {
                finish(share.delegationID, with: .failure(DelegationError.refused(pool: message.sourcePoolID, reason: share.error ?? "no reason given")))
            }
        }
    }

    /// Completes a waiting delegation once: whichever of result, timeout or failure comes first.
    private func finish(_ delegationID: String, with result: Result<TaskResult, any Error>) {
        guard let delegation = waiting.withLock({ $0.removeValue(forKey: delegationID) }) else { return }
        delegation.timer.cancel()
        delegation.completion(result)
    }

    // MARK: Answering

    private func serve(_ requests: AsyncStream<BusMessage>) async {
        await withDiscardingTaskGroup { group in
            for await message in requests {
                guard let request = try? message.payload(as: TaskDelegateRequest.self) else {
                    logger.info("ignoring an unreadable task_delegate", metadata: ["bus.source": "\(message.sourcePoolID)"])
                    continue
                }
                group.addTask { await self.answer(request) }
            }
        }
    }

    /// Runs a delegated task through the broker on this pool and shares its result with the asker.
    private func answer(_ request: TaskDelegateRequest) async {
        let share: ResultShare
        do {
            let timeout = request.task.timeout.map { Duration.milliseconds(Int64($0 * 1000)) } ?? defaultTimeout
            let result = try await broker.submit(request.task, taskID: request.delegationID, selector: .affinity, affinity: bus.identity, timeout: timeout)
            share = ResultShare(delegationID: request.delegationID, result: result)
        } catch {
            share = ResultShare(delegationID: request.delegationID, error: "\(error)")
        }
        do {
            try bus.publish(.resultShare, payload: share, target: request.replyTo)
        } catch {
            logger.info("cannot share a delegated result", metadata: ["delegation.id": "\(request.delegationID)", "error": "\(error)"])
        }
    }
}

/// Why a delegation to another pool did not produce a result.
public enum DelegationError: Error, CustomStringConvertible, Equatable, Sendable {
    /// No live pool has that id or name.
    case noSuchPool(String, live: [String])
    /// A pool may not delegate to itself (it could be waiting on its own last free worker).
    case toItself(String)
    /// No `result_share` came back in time.
    case timedOut(pool: String, after: Duration)
    /// The other pool could not run the task.
    case refused(pool: String, reason: String)
    /// The delegation service was stopped while waiting.
    case stopped

    public var description: String {
        switch self {
        case .noSuchPool(let pool, let live):
            "no such pool '\(pool)'; live pools: \(live.isEmpty ? "none" : live.joined(separator: ", "))"
        case .toItself(let pool): "pool '\(pool)' cannot delegate to itself"
        case .timedOut(let pool, let after): "pool '\(pool)' sent no result within \(after)"
        case .refused(let pool, let reason): "pool \(pool) could not run it: \(reason)"
        case .stopped: "the pool stopped while waiting for the delegated result"
        }
    }
}
