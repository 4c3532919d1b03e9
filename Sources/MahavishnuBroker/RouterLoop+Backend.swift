import Logging
import MahavishnuCore
import ZeroMQ

/// Pool messages: `READY`, `RESULT`, `HEARTBEAT`, `CAPACITY` and `BYE` (see `docs/protocol.md`).
/// Any message from a pool counts as a heartbeat.
extension RouterLoop {
    func handleBackendMessage() throws {
        let routingID = frames.bytes(0)
        guard !frames.overflowed, frames.count >= 3 else {
            return refuseMalformedPool(routingID, .badRequest, "a message needs at least a version frame and a command frame")
        }
        guard frames.frame(1, equals: Wire.version) else {
            return refuseMalformedPool(routingID, .unsupportedVersion, "expected protocol version MHV1 in the first frame")
        }
        if frames.frame(2, equals: Wire.Command.ready) {
            return register(routingID)
        }
        guard let slot = registry.slot(routingID: routingID), !isLost(slot) else {
            if Self.poolCommands.contains(where: { frames.frame(2, equals: $0) }) {
                let carriesTaskID = frames.count > 3 && (frames.frame(2, equals: Wire.Command.result) || frames.frame(2, equals: Wire.Command.lost))
                replyErrorToPool(routingID, reference: carriesTaskID ? frames.bytes(3) : [], .notRegistered,
                                 "this pool is not registered; send READY (once) and wait for WELCOME")
            } else {
                refuseMalformedPool(routingID, .unknownCommand, "unknown command '\(frames.string(2))'; pools send READY, RESULT, LOST, HEARTBEAT, CAPACITY or BYE")
            }
            return
        }
        registry[slot].lastSeen = .now
        if frames.frame(2, equals: Wire.Command.result) {
            handleResult(from: slot)
        } else if frames.frame(2, equals: Wire.Command.lost) {
            handleLostTask(from: slot)
        } else if frames.frame(2, equals: Wire.Command.heartbeat) {
            if frames.count == 4 { registry[slot].vitals.update(from: frames, frame: 3) }
        } else if frames.frame(2, equals: Wire.Command.capacity) {
            handleCapacity(of: slot)
        } else if frames.frame(2, equals: Wire.Command.bye) {
            handleBye(of: slot)
        } else {
            refuseMalformedPool(routingID, .unknownCommand, "unknown command '\(frames.string(2))'; pools send READY, RESULT, LOST, HEARTBEAT, CAPACITY or BYE")
        }
    }

    private static let poolCommands = [Wire.Command.result, Wire.Command.lost, Wire.Command.heartbeat, Wire.Command.capacity, Wire.Command.bye]

    private func isLost(_ slot: Int) -> Bool {
        if case .lost = registry[slot].phase { return true }
        return false
    }

    private func refuseMalformedPool(_ routingID: [UInt8], _ code: ErrorCode, _ message: String) {
        stats.malformedBackend += 1
        logger.info("malformed pool message", metadata: ["error.code": "\(code.rawValue)", "error.message": "\(message)"])
        replyErrorToPool(routingID, reference: [], code, message)
    }

    /// Registers a pool, or registers it again: a lost pool comes back; a live pool that sends
    /// `READY` with its registration's session repeats itself (welcomed again, its tasks kept);
    /// with another session it is a new process, so what the broker had in flight there is reclaimed.
    private func register(_ routingID: [UInt8]) {
        guard frames.count == 4, let registration = try? JSONCoding.decode(PoolRegistration.self, from: frames.bytes(3)) else {
            return refuseMalformedPool(routingID, .badRequest, "READY takes one JSON frame describing the pool (pool_id, name, type, worker_type, min_workers, max_workers, workers, pid, host)")
        }
        guard Array(registration.poolID.utf8) == routingID else {
            return refuseMalformedPool(routingID, .badRequest, "the pool id '\(registration.poolID)' must equal the socket's routing id")
        }
        if let problem = registration.problem() {
            return refuseMalformedPool(routingID, .badRequest, "READY refused: \(problem)")
        }
        if let owner = registry.owner(ofName: registration.name, otherThan: registration.poolID) {
            replyErrorToPool(routingID, reference: [], .duplicatePoolName,
                             "pool name '\(registration.name)' is taken by live pool \(owner.registration.poolID); choose another --name")
            return
        }
        let slot: Int
        if let existing = registry.slot(routingID: routingID) {
            slot = existing
            if !isLost(slot), let session = registration.session, registry[slot].registration.session == session {
                registry[slot].lastSeen = .now
                return welcome(routingID)
            }
            if isLost(slot) {
                registry[slot].phase = .active
            } else {
                _ = reclaimLeases(of: slot, reason: "it registered again as a new process")
            }
            registry[slot].registration = registration
            registry[slot].capacity = registration.workers
            registry[slot].inFlight = registration.busy
            registry[slot].ghostTasks = registry[slot].inFlight
            registry[slot].lastSeen = .now
        } else {
            slot = registry.add(PoolEntry(registration: registration))
        }
        stats.pools = registry.count
        welcome(routingID)
        logger.info("pool registered", metadata: ["pool.id": "\(registration.poolID)", "pool.name": "\(registration.name)", "pool.workers": "\(registration.workers)"])
        if case .running = state {} else if registry[slot].acceptsWork { closeIntake(slot) }
        available.refresh(slot, pool: registry[slot])
        configuration.onEvent(.poolRegistered(registry[slot].summary()))
        completeSpawn(registration.poolID)
        adoptTasksWaitingForName(slot)
        feed(slot)
    }

    /// Sends `WELCOME` with the heartbeat terms the pool must keep to.
    private func welcome(_ routingID: [UInt8]) {
        _ = sendToPool(routingID, headers: [Wire.version, Wire.Command.welcome, welcomeTerms])
    }

    private func handleResult(from slot: Int) {
        guard frames.count == 5 else {
            return refuseMalformedPool(registry[slot].routingID, .badRequest, "RESULT takes 5 frames (MHV1, RESULT, task id, body)")
        }
        let task: PendingTask
        let leased: Bool
        if let (_, lease) = claimLease(from: slot) {
            (task, leased) = (lease.task, true)
        } else if let waiting = takeWaiting(frames.bytes(3)) {
            // A run from before the pool registered again (after a broker restart, or a pool
            // declared lost that came back) finished a task waiting to run again: its result is
            // final, and the task does not run twice.
            (task, leased) = (waiting, false)
        } else {
            stats.resultsStale += 1
            return releaseGhost(slot)
        }
        registry[slot].tasksCompleted += 1
        finishTask(task, body: frames.retain(4))
        if leased { releaseSlot(slot) } else { releaseGhost(slot) }
        finishDrainIfDone()
    }

    /// Ends the lease of the task named in frame 3, if the pool in `slot` holds it.
    private func claimLease(from slot: Int) -> (taskID: [UInt8], lease: TaskLease)? {
        let taskID = frames.bytes(3)
        guard let lease = leases[taskID], lease.poolSlot == slot else { return nil }
        leases[taskID] = nil
        return (taskID, lease)
    }

    /// A message about a run the broker does not lease to the pool in `slot` (from before it
    /// registered again): if the pool still counts such runs, one of its slots (a ghost's) frees now.
    private func releaseGhost(_ slot: Int) {
        guard registry[slot].ghostTasks > 0 else { return }
        registry[slot].ghostTasks -= 1
        releaseSlot(slot)
    }

    /// The worker running a task died: the task runs again within its retry budget, as when a
    /// whole pool is lost, or fails `worker_lost`.
    private func handleLostTask(from slot: Int) {
        guard frames.count == 5 else {
            return refuseMalformedPool(registry[slot].routingID, .badRequest, "LOST takes 5 frames (MHV1, LOST, task id, reason)")
        }
        guard let (taskID, lease) = claimLease(from: slot) else {
            stats.resultsStale += 1
            return releaseGhost(slot)
        }
        let reason = frames.string(4)
        logger.info("a worker died running a task", metadata: ["pool.id": "\(registry[slot].registration.poolID)", "task.id": "\(String(decoding: taskID, as: UTF8.self))", "task.attempts": "\(lease.task.attempts)"])
        if lease.task.attempts > configuration.retryBudget {
            failLost(lease.task, pool: registry[slot].registration, reason: reason)
        } else {
            requeue(lease.task)
        }
        releaseSlot(slot)
        feedShared()
    }

    /// One task of the pool in `slot` is done: its slot serves the next waiting task, or a
    /// draining pool that has finished is released.
    private func releaseSlot(_ slot: Int) {
        registry[slot].inFlight -= 1
        if registry[slot].phase == .draining && registry[slot].inFlight == 0 && registry[slot].saidBye {
            return removePool(slot, reason: "it drained and left")
        }
        available.refresh(slot, pool: registry[slot])
        feed(slot)
    }

    private func handleCapacity(of slot: Int) {
        let maxWorkers = registry[slot].registration.maxWorkers
        guard frames.count == 4, let workers = Int(frames.string(3)), (0...maxWorkers).contains(workers) else {
            return refuseMalformedPool(registry[slot].routingID, .badRequest,
                                       "CAPACITY takes one frame: the worker count as a decimal number from 0 to the pool's max_workers (\(maxWorkers))")
        }
        registry[slot].capacity = workers
        registry[slot].registration.workers = workers
        available.refresh(slot, pool: registry[slot])
        feed(slot)
    }

    private func handleBye(of slot: Int) {
        if registry[slot].acceptsWork { closeIntake(slot) }
        registry[slot].saidBye = true
        if registry[slot].inFlight == 0 { removePool(slot, reason: "it drained and left") }
    }
}
