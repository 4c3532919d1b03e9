import MahavishnuCore
import ZeroMQ

/// Moving tasks: straight to a pool with a free slot, into a queue, out of the queues as slots
/// free up, and back into them when the pool running them is lost.
///
/// Invariants after every handled message: a selector task waits only if no pool has a free slot,
/// an affinity task waits only if its pool has none, and a task id has at most one lease.
extension RouterLoop {
    /// Dispatches `task` now or queues it, or holds it until its `eta`; `false` if it must be
    /// refused because the queue is full.
    func accept(_ task: PendingTask) -> Bool {
        if let deadline = task.schedule.deadline, deadline <= Self.epochMilliseconds() {
            expire(task.owner)
            return true
        }
        if let eta = task.schedule.eta, eta > Self.epochMilliseconds() {
            guard queues.admits(task) else { return false }
            queues.delay(task, until: eta)
            return true
        }
        switch task.route {
        case .selector(let selector):
            if let slot = available.pick(selector) {
                dispatch(task, to: slot, fresh: true)
                return true
            }
            guard queues.admits(task) else { return false }
            queues.shared.append(task)
        case .pinned(let reference):
            // A delayed task's pool may have left while it waited (or, held from a broker's
            // start, be known by name only).
            guard let slot = registry.slot(reference: reference) else {
                let pool = String(decoding: reference, as: UTF8.self)
                if awaitedPools.awaits(pool) { return holdForAwaitedPool(task, reference: pool) }
                refuseAccepted(task, .noSuchPool, "pool '\(pool)' left before its task's time came")
                return true
            }
            var task = task
            task.route = .pinned(registry[slot].routingID)
            if registry[slot].hasFreeSlot {
                dispatch(task, to: slot, fresh: true)
                return true
            }
            guard queues.admits(task) else { return false }
            registry[slot].affinityQueue.append(task)
        }
        queues.noteEnqueued(task)
        return true
    }

    /// Answers a task id the broker already knows: from the result cache, or by re-addressing
    /// its lease or its place in a queue to the latest sender. `true` if it was known.
    func answerKnownTask(_ taskID: [UInt8], replyTo address: ReplyAddress) -> Bool {
        // What is held for it (partials, or its result waiting for room) goes to the latest sender.
        let held = !heldDeliveries.isEmpty && heldDeliveries.redirect(taskID, to: address)
        if let cached = resultCache[taskID] {
            if held { return true }
            stats.resultsFromCache += 1
            sendToProducer(address, .result(taskID: taskID, attempts: cached.attempts, body: cached.body))
            return true
        }
        if leases[taskID] != nil {
            leases[taskID]!.task.replyTo = address
            return true
        }
        return queues.redirect(taskID, to: address)
    }

    /// Sends `task` to the pool in `slot` and takes a lease on it.
    ///
    /// A `fresh` task was just checked against the known ids; one from a queue is checked again
    /// here, so a task id never has two leases.
    func dispatch(_ task: PendingTask, to slot: Int, fresh: Bool = false) {
        if !fresh && answerKnownTask(task.taskID, replyTo: task.replyTo) { return }
        var task = task
        task.attempts += 1
        dispatchClock += 1
        journal?.record(.dispatched(taskID: task.taskID))
        guard sendToPool(registry[slot].routingID, .task(taskID: task.taskID, body: task.body, partialWindow: task.schedule.stream ? HeldDeliveries.window : nil)) else {
            task.attempts -= 1
            requeue(task)
            poolLost(slot, reason: "the broker could not reach it")
            return
        }
        registry[slot].inFlight += 1
        registry[slot].lastUse = dispatchClock
        available.refresh(slot, pool: registry[slot])
        let now = ContinuousClock.now
        leases[task.taskID] = TaskLease(task: task, poolSlot: slot, dispatchedAt: now)
        // Arrivals are rounded up to the millisecond: one dispatched within it waited 0.
        metrics.queueWait.record(max(.zero, now - (clockOrigin + .milliseconds(task.arrivalMilliseconds))))
        stats.tasksDispatched += 1
    }

    /// Puts an accepted task back at the head of its queue (it was accepted: the bound does not apply).
    func requeue(_ task: PendingTask) {
        guard case .running = state else {
            return refuseAccepted(task, .shuttingDown, "the pool running the task stopped while the broker was shutting down; the task may have partly run")
        }
        switch task.route {
        case .selector:
            queues.shared.prepend(task)
        case .pinned(let routingID):
            guard let slot = registry.slot(routingID: routingID) else {
                return refuseAccepted(task, .noSuchPool, "pool '\(String(decoding: routingID, as: UTF8.self))' left before it could run the task")
            }
            registry[slot].affinityQueue.prepend(task)
        }
        queues.noteEnqueued(task)
    }

    /// Fills the free slots of the pool in `slot` from its affinity queue and the shared queue, oldest first.
    func feed(_ slot: Int) {
        while registry.isLive(slot), registry[slot].hasFreeSlot {
            let pinned = registry[slot].affinityQueue.first
            let shared = queues.shared.first
            if var pinned, shared.map({ pinned.isServed(before: $0) }) ?? true {
                registry[slot].affinityQueue.popFirst()
                if release(&pinned) { dispatch(pinned, to: slot) }
            } else if var shared, case .selector(let selector) = shared.route, registry[slot].takesSelectorTasks {
                queues.shared.popFirst()
                if release(&shared) { dispatch(shared, to: available.pick(selector) ?? slot) }
            } else {
                return
            }
        }
    }

    /// Serves the shared queue while any pool has a free slot.
    func feedShared() {
        while var head = queues.shared.first, case .selector(let selector) = head.route, let slot = available.pick(selector) {
            queues.shared.popFirst()
            if release(&head) { dispatch(head, to: slot) }
        }
    }

    /// Takes `task`, just out of its queue, off the waiting index: `true` if it is to run,
    /// `false` if it ended while it waited (cancelled, expired) or its deadline passed just now.
    func release(_ task: inout PendingTask) -> Bool {
        guard queues.noteDequeued(&task) else { return false }
        if let deadline = task.schedule.deadline, deadline <= Self.epochMilliseconds() {
            expire(task.owner)
            return false
        }
        return true
    }

    /// Takes back every task the pool in `slot` was running: each goes back to its queue, or
    /// fails `worker_lost` once it has used its retry budget. `reason` says what happened to the pool.
    func reclaimLeases(of slot: Int, reason: String) -> Int {
        let pool = registry[slot].registration
        let orphaned = leases.filter { $0.value.poolSlot == slot }
        // Newest first, so that prepending leaves the oldest at the head of its queue.
        for (taskID, lease) in orphaned.sorted(by: { $0.value.task.sequence > $1.value.task.sequence }) {
            leases[taskID] = nil
            retry(lease, pool: pool, reason: reason)
        }
        registry[slot].inFlight = 0
        registry[slot].ghostTasks = 0
        return orphaned.count
    }

    /// A task whose worker was lost runs again within the retry budget; past it, it fails
    /// `worker_lost`, and a cancelled one ends `cancelled`.
    func retry(_ lease: TaskLease, pool: PoolRegistration, reason: String) {
        if lease.cancelled {
            finishCancelled(lease.task.owner, "while it ran; its pool '\(pool.name)' was lost before it confirmed (\(reason)), and it does not run again")
        } else if lease.task.attempts > configuration.retryBudget {
            failLost(lease.task, pool: pool, reason: reason)
        } else {
            metrics.retried.increment()
            requeue(lease.task)
        }
    }

    /// Ends a task whose workers kept dying: one final `failed` result with `worker_lost`.
    func failLost(_ task: PendingTask, pool: PoolRegistration, reason: String) {
        let result = TaskResult(
            taskID: String(decoding: task.taskID, as: UTF8.self), poolID: pool.poolID, workerID: "", status: .failed, output: "",
            error: "worker_lost: the worker running the task was lost \(task.attempts) times (last: pool '\(pool.name)': \(reason)); retry budget \(configuration.retryBudget) used up",
            duration: 0
        )
        let body = Payload((try? JSONCoding.encode(result)) ?? [])
        stats.tasksFailedWorkerLost += 1
        metrics.endedByBroker[.failed]?.increment()
        finishTask(task.owner, body: body)
    }

    /// The pool in `slot` stopped answering or its process died: its tasks are reclaimed, and
    /// its affinity tasks wait for it to come back until `affinityWait` runs out.
    func poolLost(_ slot: Int, reason: String) {
        guard registry[slot].phase == .active || registry[slot].phase == .draining else { return }
        let wasDraining = registry[slot].phase == .draining
        registry[slot].phase = .lost(until: .now + configuration.affinityWait)
        available.remove(slot)
        let reclaimed = reclaimLeases(of: slot, reason: reason)
        let pool = registry[slot].registration
        logger.info("pool lost", metadata: ["pool.id": "\(pool.poolID)", "pool.name": "\(pool.name)", "pool.reason": "\(reason)", "pool.requeued": "\(reclaimed)"])
        configuration.onEvent(.poolLost(poolID: pool.poolID, name: pool.name, reason: reason))
        if wasDraining { removePool(slot, reason: reason) }
        feedShared()
        finishDrainIfDone()
    }

    /// Drops the pool in `slot` for good: running tasks go back to the queue, waiting affinity tasks are refused.
    func removePool(_ slot: Int, reason: String) {
        _ = reclaimLeases(of: slot, reason: reason)
        refuseWaiting(slot, .noSuchPool, "pool '\(registry[slot].registration.name)' left before it could run the task (\(reason))")
        available.remove(slot)
        let pool = registry.remove(slot)
        if let handles = pool.metrics { metrics.remove(handles) }
        awaitedPools.noteDeparted(name: pool.registration.name, poolID: pool.registration.poolID)
        // A draining pool waits for this: the broker has released it and sends it nothing more.
        _ = sendToPool(pool.routingID, .bye)
        stats.pools = registry.count
        logger.info("pool removed", metadata: ["pool.id": "\(pool.registration.poolID)", "pool.name": "\(pool.registration.name)", "pool.reason": "\(reason)"])
        configuration.onEvent(.poolRemoved(poolID: pool.registration.poolID, name: pool.registration.name, reason: reason))
        feedShared()
        if supervisor?.isRunning(pool.registration.poolID) != true {
            supervisor?.forget(pool.registration.poolID)
            poolStopped(PoolIdentity(poolID: pool.registration.poolID, name: pool.registration.name, pid: pool.registration.pid))
        }
    }

    /// Takes the task `taskID` out of whichever queue it waits in; `nil` if it waits in none
    /// (delayed tasks are not taken: a run of one cannot have started).
    func takeWaiting(_ taskID: [UInt8]) -> PendingTask? {
        guard queues.isWaiting(taskID) else { return nil }
        var found = queues.shared.remove { $0.taskID == taskID }
        for slot in registry.slotIndices where found == nil {
            found = registry[slot].affinityQueue.remove { $0.taskID == taskID }
        }
        guard var task = found ?? awaitedPools.remove(taskID), queues.noteDequeued(&task) else { return nil }
        return task
    }

    /// Refuses the affinity tasks waiting for the pool in `slot`.
    func refuseWaiting(_ slot: Int, _ code: ErrorCode, _ message: String) {
        for var task in registry[slot].affinityQueue where queues.noteDequeued(&task) {
            refuseAccepted(task, code, message)
        }
        registry[slot].affinityQueue.removeAll()
    }
}
