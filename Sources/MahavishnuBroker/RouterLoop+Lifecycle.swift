import Foundation
import MahavishnuCore
import ZeroMQ

/// Pools coming and going at the broker's request (`spawn`, `close`, `close_all`), child
/// processes ending or being restarted, and the broker's own drain on stop.
extension RouterLoop {
    // MARK: Spawn

    /// Starts a pool process; `reply` (if any) is answered once it registers or fails.
    func spawn(_ request: PoolConfig, reply: ControlReply?) {
        func fail(_ code: ErrorCode, _ message: String) {
            configuration.onEvent(.spawnFailed(name: request.name, reason: message))
            if let reply { replyError(reply.address, reference: reply.requestID, code, message) }
        }
        guard let supervisor else {
            return fail(.spawnFailed, "this broker was started without pool executables, so it cannot start pools; run `mahavishnu-pool` by hand")
        }
        if let problem = request.problem() { return fail(.invalidArgument, problem) }
        if let refusal = configuration.switchRefusal(poolType: request.poolType) { return fail(.disabled, refusal) }
        if request.runsLocalWorkerType, !configuration.workerTypeNames.contains(request.workerType) {
            return fail(.invalidArgument, WorkerTypeCatalog.unknownTypeMessage(request.workerType, defined: configuration.workerTypeNames))
        }
        if registry.slot(reference: Array(request.name.utf8)) != nil || pendingSpawns.values.contains(where: { $0.request.name == request.name }) {
            return fail(.invalidArgument, "a pool named '\(request.name)' already exists; choose another name")
        }
        let poolID = newPoolID()
        do {
            _ = try supervisor.start(request, poolID: poolID)
        } catch {
            return fail(.spawnFailed, "cannot start a pool process: \(error)")
        }
        pendingSpawns[poolID] = PendingSpawn(request: request, reply: reply, deadline: .now + .seconds(configuration.spawnTimeout))
    }

    /// Answers a pending spawn once its pool has registered.
    func completeSpawn(_ poolID: String) {
        guard let pending = pendingSpawns.removeValue(forKey: poolID), let reply = pending.reply else { return }
        sendReply(reply, PoolIdentity(poolID: poolID, name: pending.request.name, pid: supervisor?.pid(of: poolID) ?? 0))
    }

    // MARK: Close

    /// Drains and stops the pool named by `reference` (id or name); `reply` is answered once it has stopped.
    func close(_ reference: String, reply: ControlReply) {
        guard let slot = lookUp(reference, reply: reply) else { return }
        pendingCloses[registry[slot].registration.poolID, default: []].append(reply)
        beginClosing(slot)
    }

    /// Drains and stops every pool but the workers (the `workers` commands own those); `reply`
    /// is answered once all have stopped.
    func closeAll(reply: ControlReply) {
        let slots = registry.slotIndices.filter { registry.isLive($0) && registry[$0].takesSelectorTasks }
        guard !slots.isEmpty else { return sendReply(reply, ClosedPools(closed: [])) }
        pendingCloseAlls.append((reply, Set(slots.map { registry[$0].registration.poolID }), []))
        for slot in slots { beginClosing(slot) }
    }

    /// The slot of the pool named by `reference`, or `nil` after answering `no_such_pool`.
    func lookUp(_ reference: String, reply: ControlReply) -> Int? {
        if let slot = registry.slot(reference: Array(reference.utf8)) { return slot }
        let known = registry.entries.map { "\($0.registration.name) (\($0.registration.poolID))" }.joined(separator: ", ")
        replyError(reply.address, reference: reply.requestID, .noSuchPool, "no such pool '\(reference)'; live pools: \(known.isEmpty ? "none" : known)")
        return nil
    }

    /// Stops sending the pool work and asks it to leave: a child gets SIGTERM, any pool gets `DRAIN`.
    /// A lost pool has nothing to drain and is removed at once.
    private func beginClosing(_ slot: Int) {
        let poolID = registry[slot].registration.poolID
        supervisor?.terminate(poolID)
        if case .lost = registry[slot].phase {
            return removePool(slot, reason: "it was closed while unreachable")
        }
        if registry[slot].acceptsWork { closeIntake(slot) }
        _ = sendToPool(registry[slot].routingID, .drain)
    }

    /// Marks a pool as leaving: no new tasks; its waiting affinity tasks are refused.
    func closeIntake(_ slot: Int) {
        registry[slot].phase = .draining
        available.remove(slot)
        refuseWaiting(slot, .noSuchPool, "pool '\(registry[slot].registration.name)' is closing")
    }

    /// A pool has stopped for good: answer whoever waited for it.
    func poolStopped(_ pool: PoolIdentity) {
        for reply in pendingCloses.removeValue(forKey: pool.poolID) ?? [] { sendReply(reply, pool) }
        for index in pendingCloseAlls.indices where pendingCloseAlls[index].remaining.remove(pool.poolID) != nil {
            pendingCloseAlls[index].closed.append(pool)
        }
        for waiter in pendingCloseAlls where waiter.remaining.isEmpty {
            sendReply(waiter.reply, ClosedPools(closed: waiter.closed.sorted { $0.name < $1.name }))
        }
        pendingCloseAlls.removeAll { $0.remaining.isEmpty }
        finishDrainIfDone()
    }

    // MARK: Child processes

    /// Handles child pool processes that exited: a crash is restarted, a close completes.
    func handleChildExits(_ exits: [PoolSupervisor.Exit]) {
        guard let supervisor else { return }
        for exit in exits {
            let pid = supervisor.pid(of: exit.poolID) ?? 0
            let name = supervisor.name(of: exit.poolID) ?? exit.poolID
            let why = "its process exited with status \(exit.status)"
            if let pending = pendingSpawns.removeValue(forKey: exit.poolID) {
                // It never registered: a configuration error, not a crash to retry.
                supervisor.abandon(exit.poolID)
                let reason = "pool '\(pending.request.name)' exited with status \(exit.status) before registering: \(explanation(in: exit.stderrTail))"
                configuration.onEvent(.spawnFailed(name: pending.request.name, reason: reason))
                if let reply = pending.reply { replyError(reply.address, reference: reply.requestID, .spawnFailed, reason) }
                continue
            }
            let disposition = supervisor.exited(exit.poolID)
            guard let slot = registry.slot(routingID: Array(exit.poolID.utf8)) else {
                if disposition == .stopped { poolStopped(PoolIdentity(poolID: exit.poolID, name: name, pid: pid)) }
                continue
            }
            switch disposition {
            case .restarting(let delay):
                poolLost(slot, reason: why)
                logger.info("restarting a crashed pool", metadata: ["pool.id": "\(exit.poolID)", "pool.restart_in": "\(delay)"])
                configuration.onEvent(.poolRestarting(poolID: exit.poolID, name: name, after: delay))
            case .stopped:
                removePool(slot, reason: why)
            }
        }
    }

    /// The line of a child's stderr that explains its exit: its `Error:` line, else its last line.
    private func explanation(in text: String) -> String {
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return lines.last { $0.hasPrefix("Error:") } ?? lines.last ?? "(no output)"
    }

    // MARK: Broker drain

    /// Stops taking tasks, refuses queued ones, asks child pools to drain, and waits for in-flight tasks.
    func beginDrain() {
        state = .draining(deadline: .now + .seconds(configuration.drainTimeout))
        configuration.onEvent(.draining)
        logger.info("broker draining", metadata: ["broker.in_flight": "\(leases.count)", "broker.queued": "\(queues.depth)"])
        while var task = queues.shared.popFirst() {
            if queues.noteDequeued(&task) { refuseAccepted(task, .shuttingDown, "the broker is shutting down; the task was not run") }
        }
        // With a journal, delayed tasks stay in it (and here) for the next broker, which runs them at their time.
        if journal == nil {
            for var task in queues.takeDelayed() where queues.noteDequeued(&task) {
                refuseAccepted(task, .shuttingDown, "the broker is shutting down; the delayed task was not run (run the broker with a journal to keep delayed tasks across restarts)")
            }
        }
        refuseAwaitedPools(.shuttingDown, because: "the broker is shutting down; the task was not run")
        supervisor?.terminateAll()
        for slot in registry.slotIndices where registry.isLive(slot) {
            if registry[slot].acceptsWork { closeIntake(slot) }
            refuseWaiting(slot, .shuttingDown, "the broker is shutting down; the task was not run")
        }
        finishDrainIfDone()
    }

    /// Stops once draining and nothing is left in flight or running as a child.
    func finishDrainIfDone() {
        guard case .draining = state, leases.isEmpty, (supervisor?.runningCount ?? 0) == 0 else { return }
        state = .stopped
    }

    // MARK: Timers

    /// When the next timer is due (heartbeat, spawn deadlines, restarts, drain deadline).
    /// Called once per pass of the loop, so it allocates nothing.
    func nextTimer() -> ContinuousClock.Instant {
        var next = heartbeat.nextTick
        for pending in pendingSpawns.values { next = min(next, pending.deadline) }
        if let restart = supervisor?.nextRestart { next = min(next, restart) }
        if case .draining(let deadline) = state { next = min(next, deadline) }
        if !awaitedPools.isEmpty { next = min(next, awaitedPools.deadline) }
        // Records noted after the last write (results delivered) are written soon, not at the next message.
        if journal?.writesSoon == true { next = min(next, .now + Journal.pendingDelay) }
        if let scheduled = nextScheduleTimer { next = min(next, scheduled) }
        if let retryAt = heldDeliveries.retryAt { next = min(next, retryAt) }
        if let pair { next = min(next, pair.nextBeat) }
        return next
    }

    /// Runs whatever timers are due.
    func runTimers() {
        let now = ContinuousClock.now
        for (poolID, pending) in pendingSpawns where pending.deadline <= now {
            pendingSpawns[poolID] = nil
            supervisor?.terminate(poolID)
            let reason = "pool '\(pending.request.name)' did not register within \(configuration.spawnTimeout) s; it was stopped"
            configuration.onEvent(.spawnFailed(name: pending.request.name, reason: reason))
            if let reply = pending.reply { replyError(reply.address, reference: reply.requestID, .spawnFailed, reason) }
        }
        if !awaitedPools.isEmpty, awaitedPools.isOver(at: now) {
            refuseAwaitedPools(.noSuchPool, because: "no live pool has that name or id (none registered within affinity_wait_seconds, \(configuration.affinityWait), of the broker's start)")
        }
        supervisor?.restartDue(now)
        runScheduleTimers()
        if let retryAt = heldDeliveries.retryAt, retryAt <= now { flushHeldDeliveries() }
        if heartbeat.tick(now) { heartbeatTick(now) }
        if let pair { pairTick(pair, now) }
        if case .draining(let deadline) = state, deadline <= now {
            logger.info("drain deadline reached", metadata: ["broker.in_flight": "\(leases.count)", "broker.children": "\(supervisor?.runningCount ?? 0)"])
            state = .stopped
        }
    }

    /// Sends a `REPLY` with `value` as JSON.
    func sendReply(_ reply: ControlReply, _ value: some Encodable) {
        do {
            sendReply(reply, json: try JSONCoding.encode(value))
        } catch {
            replyError(reply.address, reference: reply.requestID, .badRequest, "cannot encode the reply: \(error)")
        }
    }

    /// Sends a `REPLY` whose JSON is already written.
    func sendReply(_ reply: ControlReply, json: [UInt8]) {
        sendToProducer(reply.address, .reply(requestID: reply.requestID, body: json))
    }
}
