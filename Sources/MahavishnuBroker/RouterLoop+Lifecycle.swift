import Foundation
import MahavishnuCore
import ZeroMQ

/// Pools coming and going at the broker's request (`spawn`, `close`, `close_all`), child
/// processes ending, and the broker's own drain on stop.
extension RouterLoop {
    // MARK: Spawn

    /// Starts a pool process; `reply` (if any) is answered once it registers or fails.
    func spawn(_ request: PoolSpawnRequest, reply: ControlReply?) {
        func fail(_ code: ErrorCode, _ message: String) {
            configuration.onEvent(.spawnFailed(name: request.name, reason: message))
            if let reply { replyError(reply.address, reference: reply.requestID, code, message) }
        }
        guard let supervisor else {
            return fail(.spawnFailed, "this broker was started without a pool executable, so it cannot start pools; run `mahavishnu pool run` by hand")
        }
        if let problem = request.problem() { return fail(.invalidArgument, problem) }
        if !configuration.workerTypeNames.contains(request.workerType) {
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
        let handle = PoolHandle(poolID: poolID, name: pending.request.name, pid: supervisor?.pid(of: poolID) ?? 0)
        sendReply(reply, handle)
    }

    // MARK: Close

    /// Drains and stops the pool named by `reference` (id or name); `reply` is answered once it has stopped.
    func close(_ reference: String, reply: ControlReply) {
        guard let slot = registry.slot(reference: Array(reference.utf8)) else {
            let known = registry.entries.map { "\($0.registration.name) (\($0.registration.poolID))" }.joined(separator: ", ")
            return replyError(reply.address, reference: reply.requestID, .noSuchPool, "no such pool '\(reference)'; live pools: \(known.isEmpty ? "none" : known)")
        }
        let poolID = registry[slot].registration.poolID
        pendingCloses[poolID, default: []].append(reply)
        beginClosing(slot)
    }

    /// Drains and stops every pool; `reply` is answered once all have stopped.
    func closeAll(reply: ControlReply) {
        let slots = registry.slots.indices.filter { registry.slots[$0] != nil }
        let ids = Set(slots.map { registry[$0].registration.poolID })
        guard !ids.isEmpty else { return sendReply(reply, ClosedPools(closed: [])) }
        pendingCloseAlls.append((reply, ids, []))
        for slot in slots { beginClosing(slot) }
    }

    /// Stops sending the pool work and asks it to leave: a child gets SIGTERM, any pool gets `DRAIN`.
    private func beginClosing(_ slot: Int) {
        let poolID = registry[slot].registration.poolID
        if registry[slot].acceptsWork { closeIntake(slot) }
        _ = sendToPool(registry[slot].routingID, headers: [Wire.version, Wire.Command.drain])
        supervisor?.terminate(poolID)
    }

    /// Marks a pool as leaving: no new tasks; its affinity queue is refused.
    func closeIntake(_ slot: Int) {
        registry[slot].acceptsWork = false
        available.remove(slot)
        let name = registry[slot].registration.name
        for task in registry[slot].affinityQueue {
            queues.noteDequeued()
            replyError(task.replyTo, reference: task.taskID, .noSuchPool, "pool '\(name)' is closing")
        }
        registry[slot].affinityQueue.removeAll()
    }

    /// A pool has stopped for good: answer whoever waited for it.
    func poolStopped(_ handle: PoolHandle) {
        for reply in pendingCloses.removeValue(forKey: handle.poolID) ?? [] { sendReply(reply, handle) }
        for index in pendingCloseAlls.indices where pendingCloseAlls[index].remaining.remove(handle.poolID) != nil {
            pendingCloseAlls[index].closed.append(handle)
        }
        for waiter in pendingCloseAlls where waiter.remaining.isEmpty {
            sendReply(waiter.reply, ClosedPools(closed: waiter.closed.sorted { $0.name < $1.name }))
        }
        pendingCloseAlls.removeAll { $0.remaining.isEmpty }
        finishDrainIfDone()
    }

    // MARK: Child processes

    /// Handles child pool processes that exited.
    func handleChildExits() {
        guard let supervisor else { return }
        for exit in supervisor.events.take() {
            let pid = supervisor.pid(of: exit.poolID) ?? 0
            supervisor.reap(exit.poolID)
            if let pending = pendingSpawns.removeValue(forKey: exit.poolID) {
                let reason = "pool '\(pending.request.name)' exited with status \(exit.status) before registering: \(lastLine(of: exit.stderrTail))"
                configuration.onEvent(.spawnFailed(name: pending.request.name, reason: reason))
                if let reply = pending.reply { replyError(reply.address, reference: reply.requestID, .spawnFailed, reason) }
                continue
            }
            var name = exit.poolID
            if let slot = registry.slot(routingID: Array(exit.poolID.utf8)) {
                name = registry[slot].registration.name
                logger.info("pool process exited while registered", metadata: ["pool.id": "\(exit.poolID)", "pool.exit_status": "\(exit.status)"])
                removePool(slot, reason: "its process exited with status \(exit.status)")
            }
            poolStopped(PoolHandle(poolID: exit.poolID, name: name, pid: pid))
        }
    }

    /// The line of a child's stderr that explains its exit: its `Error:` line, else its last line.
    private func lastLine(of text: String) -> String {
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return lines.last { $0.hasPrefix("Error:") } ?? lines.last ?? "(no output)"
    }

    // MARK: Broker drain

    /// Stops taking tasks, refuses queued ones, asks child pools to drain, and waits for in-flight tasks.
    func beginDrain() {
        state = .draining(deadline: .now + .seconds(configuration.drainTimeout))
        configuration.onEvent(.draining)
        logger.info("broker draining", metadata: ["broker.in_flight": "\(leases.count)", "broker.queued": "\(queues.depth)"])
        while let task = queues.shared.popFirst() {
            queues.noteDequeued()
            replyError(task.replyTo, reference: task.taskID, .shuttingDown, "the broker is shutting down; the task was not run")
        }
        for slot in registry.slots.indices where registry.slots[slot] != nil {
            closeIntake(slot)
            if supervisor?.isChild(registry[slot].registration.poolID) == true { supervisor?.terminate(registry[slot].registration.poolID) }
        }
        finishDrainIfDone()
    }

    /// Stops once draining and nothing is left in flight or running as a child.
    func finishDrainIfDone() {
        guard case .draining = state, leases.isEmpty, (supervisor?.childCount ?? 0) == 0 else { return }
        state = .stopped
    }

    // MARK: Timers

    /// Milliseconds until the next timer (spawn deadlines, the drain deadline); -1 for none.
    func nextTimerMilliseconds() -> Int {
        var deadlines = pendingSpawns.values.map(\.deadline)
        if case .draining(let deadline) = state { deadlines.append(deadline) }
        guard let earliest = deadlines.min() else { return -1 }
        let remaining = earliest - .now
        return max(0, Int(remaining.components.seconds) * 1000 + Int(remaining.components.attoseconds / 1_000_000_000_000_000) + 1)
    }

    /// Fails spawns that did not register in time, and ends a drain that ran out of time.
    func runTimers() {
        let now = ContinuousClock.now
        for (poolID, pending) in pendingSpawns where pending.deadline <= now {
            pendingSpawns[poolID] = nil
            supervisor?.terminate(poolID)
            let reason = "pool '\(pending.request.name)' did not register within \(configuration.spawnTimeout) s; it was stopped"
            configuration.onEvent(.spawnFailed(name: pending.request.name, reason: reason))
            if let reply = pending.reply { replyError(reply.address, reference: reply.requestID, .spawnFailed, reason) }
        }
        if case .draining(let deadline) = state, deadline <= now {
            logger.info("drain deadline reached", metadata: ["broker.in_flight": "\(leases.count)", "broker.children": "\(supervisor?.childCount ?? 0)"])
            state = .stopped
        }
    }

    /// Sends a `REPLY` with `value` as JSON.
    func sendReply(_ reply: ControlReply, _ value: some Encodable) {
        do {
            sendToProducer(reply.address, headers: [Wire.version, Wire.Command.reply, reply.requestID, try JSONCoding.encode(value)])
        } catch {
            replyError(reply.address, reference: reply.requestID, .badRequest, "cannot encode the reply: \(error)")
        }
    }
}
