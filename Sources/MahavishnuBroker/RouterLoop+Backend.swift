import Logging
import MahavishnuCore
import ZeroMQ

/// Pool messages, decoded by `PoolToBroker`: `READY`, `RESULT`, `LOST`, `HEARTBEAT`, `CAPACITY`
/// and `BYE` (see `docs/protocol.md`).
/// Any message from a pool counts as a heartbeat.
extension RouterLoop {
    func handleBackendMessage() throws {
        let routingID = frames.bytes(0)
        let message: PoolToBroker
        do {
            message = try PoolToBroker(frames: frames, first: 1)
        } catch {
            if let slot = registry.slot(routingID: routingID), !isLost(slot) { registry[slot].lastSeen = .now }
            return refuseMalformedPool(routingID, error)
        }
        if pair?.isActive == false, try !pairAdmits({ replyErrorToPool(routingID, reference: message.taskID ?? [], .notActive, $0) }) { return }
        if case .ready(let registration) = message {
            if let pair, pair.isActive, let theirs = registration.epoch, theirs > pair.machine.epoch {
                // The pool was welcomed by an active at a higher epoch: another broker took over.
                throw BrokerError(code: .fenced, message: "fenced: pool '\(registration.poolID)' was welcomed at epoch \(theirs), above this broker's \(pair.machine.epoch): its peer took over; this broker stops so it never acts as a second active. Restart it: it rejoins as the passive")
            }
            return register(routingID, registration)
        }
        guard let slot = registry.slot(routingID: routingID), !isLost(slot) else {
            return replyErrorToPool(routingID, reference: message.taskID ?? [], .notRegistered,
                                    "this pool is not registered; send READY (once) and wait for WELCOME")
        }
        registry[slot].lastSeen = .now
        switch message {
        case .ready:
            break
        case .result(let taskID, let body):
            handleResult(taskID, body: body, from: slot)
        case .lost(let taskID, let reason):
            handleLostTask(taskID, reason: reason, from: slot)
        case .partial(let taskID, let sequence, let body):
            forwardPartial(taskID, sequence: sequence, body: body, from: slot)
        case .heartbeat(let vitals):
            if let vitals { registry[slot].vitals.update(from: vitals) }
        case .capacity(let workers):
            handleCapacity(workers, of: slot)
        case .bye:
            handleBye(of: slot)
        }
    }

    private func isLost(_ slot: Int) -> Bool {
        if case .lost = registry[slot].phase { return true }
        return false
    }

    private func refuseMalformedPool(_ routingID: [UInt8], _ error: WireDecodingError) {
        stats.malformedBackend += 1
        logger.info("malformed pool message", metadata: ["error.code": "\(error.code.rawValue)", "error.message": "\(error.message)"])
        replyErrorToPool(routingID, reference: error.reference, error.code, error.message)
    }

    /// Registers a pool, or registers it again: a lost pool comes back; a live pool that sends
    /// `READY` with its registration's session repeats itself (welcomed again, its tasks kept);
    /// with another session it is a new process, so what the broker had in flight there is reclaimed.
    private func register(_ routingID: [UInt8], _ registration: PoolRegistration) {
        guard Array(registration.poolID.utf8) == routingID else {
            return refuseMalformedPool(routingID, WireDecodingError(.badRequest, "the pool id '\(registration.poolID)' must equal the socket's routing id"))
        }
        if let problem = registration.problem() {
            return refuseMalformedPool(routingID, WireDecodingError(.badRequest, "READY refused: \(problem)"))
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
            registry[slot].metrics = metrics.pool(named: registration.name)
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

    /// Sends `WELCOME` with the heartbeat terms the pool must keep to, and the pair's epoch.
    private func welcome(_ routingID: [UInt8]) {
        var terms = welcomeTerms
        terms.epoch = pair?.machine.epoch
        _ = sendToPool(routingID, .welcome(terms))
    }

    private func handleResult(_ taskID: [UInt8], body: Payload, from slot: Int) {
        let task: PendingTask
        let leased: Bool
        let now = ContinuousClock.now
        if let lease = claimLease(taskID, from: slot) {
            (task, leased) = (lease.task, true)
            metrics.runTime.record(now - lease.dispatchedAt)
        } else if let waiting = takeWaiting(taskID) {
            // A run from before the pool registered again (after a broker restart, or a pool
            // declared lost that came back) finished a task waiting to run again: its result is
            // final, and the task does not run twice.
            (task, leased) = (waiting, false)
        } else {
            stats.resultsStale += 1
            return releaseGhost(slot)
        }
        registry[slot].tasksCompleted += 1
        if let status = ResultStatusPeek.status(of: body) {
            registry[slot].metrics?.finished[status]?.increment()
            let latency = now - (clockOrigin + .milliseconds(task.arrivalMilliseconds))
            activity.record(failed: status == .failed || status == .timeout, latency: max(.zero, latency), at: activitySecond)
        }
        finishTask(task.owner, body: body)
        if leased { releaseSlot(slot) } else { releaseGhost(slot) }
        finishDrainIfDone()
    }

    /// Ends the lease of `taskID`, if the pool in `slot` holds it.
    private func claimLease(_ taskID: [UInt8], from slot: Int) -> TaskLease? {
        guard let lease = leases[taskID], lease.poolSlot == slot else { return nil }
        leases[taskID] = nil
        return lease
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
    private func handleLostTask(_ taskID: [UInt8], reason: String, from slot: Int) {
        guard let lease = claimLease(taskID, from: slot) else {
            stats.resultsStale += 1
            return releaseGhost(slot)
        }
        logger.info("a worker died running a task", metadata: ["pool.id": "\(registry[slot].registration.poolID)", "task.id": "\(String(decoding: taskID, as: UTF8.self))", "task.attempts": "\(lease.task.attempts)"])
        retry(lease, pool: registry[slot].registration, reason: reason)
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

    private func handleCapacity(_ workers: Int, of slot: Int) {
        let maxWorkers = registry[slot].registration.maxWorkers
        guard workers <= maxWorkers else {
            return refuseMalformedPool(registry[slot].routingID, WireDecodingError(.badRequest,
                                       "CAPACITY \(workers) is over the pool's max_workers (\(maxWorkers)); send a worker count from 0 to \(maxWorkers)"))
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
