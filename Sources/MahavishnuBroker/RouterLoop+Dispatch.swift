import MahavishnuCore
import ZeroMQ

/// Moving tasks: straight to a pool with a free slot, into a queue, and out of the queues as
/// slots free up.
///
/// Invariants after every handled message: a selector task waits only if no pool has a free slot,
/// and an affinity task waits only if its pool has none.
extension RouterLoop {
    /// Dispatches `task` now or queues it; `false` if it must be refused because the queue is full.
    func accept(_ task: PendingTask) -> Bool {
        switch task.route {
        case .selector(let selector):
            if let slot = available.pick(selector) {
                dispatch(task, to: slot)
                return true
            }
            guard !queues.isFull else { return false }
            queues.shared.append(task)
        case .pinned(let routingID):
            let slot = registry.slot(routingID: routingID)!
            if registry[slot].hasFreeSlot {
                dispatch(task, to: slot)
                return true
            }
            guard !queues.isFull else { return false }
            registry[slot].affinityQueue.append(task)
        }
        queues.noteEnqueued()
        return true
    }

    /// Sends `task` to the pool in `slot` and takes a lease on it.
    func dispatch(_ task: PendingTask, to slot: Int) {
        var task = task
        task.attempts += 1
        dispatchClock += 1
        let routingID = registry[slot].routingID
        guard sendToPool(routingID, headers: [Wire.version, Wire.Command.task, task.taskID], body: task.body) else {
            task.attempts -= 1
            requeue(task)
            removePool(slot, reason: "the broker could not reach it")
            return
        }
        registry[slot].inFlight += 1
        registry[slot].lastUse = dispatchClock
        available.refresh(slot, pool: registry[slot])
        leases[task.taskID] = TaskLease(task: task, poolSlot: slot)
        stats.tasksDispatched += 1
    }

    /// Puts an accepted task back at the head of its queue (it was accepted: the bound does not apply).
    func requeue(_ task: PendingTask) {
        guard case .running = state else {
            return replyError(task.replyTo, reference: task.taskID, .shuttingDown,
                              "the pool running the task stopped while the broker was shutting down; the task may have partly run")
        }
        switch task.route {
        case .selector:
            queues.shared.prepend(task)
        case .pinned(let routingID):
            guard let slot = registry.slot(routingID: routingID) else {
                return replyError(task.replyTo, reference: task.taskID, .noSuchPool,
                                  "pool '\(String(decoding: routingID, as: UTF8.self))' left before it could run the task")
            }
            registry[slot].affinityQueue.prepend(task)
        }
        queues.noteEnqueued()
    }

    /// Fills the free slots of the pool in `slot` from its affinity queue and the shared queue, oldest first.
    func feed(_ slot: Int) {
        while registry.slots[slot] != nil, registry[slot].hasFreeSlot {
            let pinned = registry[slot].affinityQueue.first
            let shared = queues.shared.first
            if let pinned, shared.map({ pinned.sequence < $0.sequence }) ?? true {
                registry[slot].affinityQueue.removeFirst()
                queues.noteDequeued()
                dispatch(pinned, to: slot)
            } else if let shared, case .selector(let selector) = shared.route {
                queues.shared.removeFirst()
                queues.noteDequeued()
                dispatch(shared, to: available.pick(selector) ?? slot)
            } else {
                return
            }
        }
    }

    /// Serves the shared queue while any pool has a free slot.
    func feedShared() {
        while let head = queues.shared.first, case .selector(let selector) = head.route, let slot = available.pick(selector) {
            queues.shared.removeFirst()
            queues.noteDequeued()
            dispatch(head, to: slot)
        }
    }

    /// Drops the pool in `slot`: its running tasks go back to the queue, its affinity tasks are refused.
    func removePool(_ slot: Int, reason: String) {
        if registry[slot].acceptsWork { closeIntake(slot) }
        let pool = registry.remove(slot)
        // A draining pool waits for this: the broker has released it and sends it nothing more.
        _ = sendToPool(pool.routingID, headers: [Wire.version, Wire.Command.bye])
        let orphaned = leases.filter { $0.value.poolSlot == slot }
        for (taskID, lease) in orphaned.sorted(by: { $0.value.task.sequence > $1.value.task.sequence }) {
            leases[taskID] = nil
            requeue(lease.task)
        }
        stats.pools = registry.count
        logger.info("pool removed", metadata: ["pool.id": "\(pool.registration.poolID)", "pool.name": "\(pool.registration.name)", "pool.reason": "\(reason)", "pool.requeued": "\(orphaned.count)"])
        configuration.onEvent(.poolRemoved(poolID: pool.registration.poolID, name: pool.registration.name, reason: reason))
        feedShared()
        if supervisor?.isChild(pool.registration.poolID) != true {
            poolStopped(PoolHandle(poolID: pool.registration.poolID, name: pool.registration.name, pid: pool.registration.pid))
        }
    }
}
