import Logging
import MahavishnuCore
import ZeroMQ

/// Producer messages, decoded by `ProducerToBroker`: `TASK` and `CTRL` (see `docs/protocol.md`).
extension RouterLoop {
    func handleFrontendMessage() throws {
        let address = ReplyAddress(routingID: frames.bytes(0), delimited: frames.count > 1 && frames.size(1) == 0)
        let first = address.delimited ? 2 : 1
        if !owedResults.isEmpty, owedResults.owes(address.routingID) { deliverOwedResults(to: address.routingID) }
        let message: ProducerToBroker
        do {
            message = try ProducerToBroker(frames: frames, first: first)
        } catch where error.code == .invalidSelector {
            stats.tasksRefusedInvalid += 1
            return replyError(address, reference: error.reference, error.code, error.message)
        } catch {
            return refuseMalformed(address, reference: error.reference, error.code, error.message)
        }
        if pair?.isActive == false {
            let reference = switch message {
            case .task(let task): task.taskID
            case .control(let requestID, let command, _): [.info, .health, .promote].contains(command) ? nil : requestID
            }
            // `info` and `health` are answered in every state (they say where the broker stands in
            // its pair, and are what probes ask), and `promote` is asked of the passive; none of
            // them makes a passive broker take over.
            if let reference, try !pairAdmits({ replyError(address, reference: reference, .notActive, $0) }) { return }
        }
        switch message {
        case .task(let task):
            handleTaskSubmission(task, from: address)
        case .control(let requestID, let command, let arguments):
            // Any frame the producer sent carries its connection's CURVE identity.
            handleControl(command, arguments: arguments, reply: ControlReply(address: address, requestID: requestID), identityFrame: first)
        }
    }

    func refuseMalformed(_ address: ReplyAddress, reference: [UInt8] = [], _ code: ErrorCode, _ message: String) {
        stats.malformedFrontend += 1
        logger.info("malformed producer message", metadata: ["error.code": "\(code.rawValue)", "error.message": "\(message)"])
        replyError(address, reference: reference, code, message)
    }

    private func refuseTask(_ address: ReplyAddress, _ taskID: [UInt8], _ code: ErrorCode, _ message: String) {
        stats.tasksRefusedInvalid += 1
        replyError(address, reference: taskID, code, message)
    }

    private func handleTaskSubmission(_ submitted: SubmittedTask, from address: ReplyAddress) {
        let taskID = submitted.taskID
        guard submitted.body.count <= configuration.maxTaskBytes else {
            stats.tasksRefusedTooLarge += 1
            return replyError(address, reference: taskID, .tooLarge,
                              "the task body is \(ByteSize.describe(submitted.body.count)); this broker takes at most \(ByteSize.describe(configuration.maxTaskBytes)) (max_task_bytes); pass large inputs by reference (a path or URL), or raise max_task_bytes")
        }
        // A retry of a task still running (the result goes to the new sender) or just finished (answered from the cache).
        if answerKnownTask(taskID, replyTo: address) { return }
        guard case .running = state else {
            return replyError(address, reference: taskID, .shuttingDown, "the broker is shutting down and accepts no new tasks; retry against the next broker")
        }
        if let failure = journal?.failure {
            stats.tasksRefusedOverloaded += 1
            return replyError(address, reference: taskID, .overloaded, "the broker cannot record new tasks: \(failure); free space for the journal, the broker retries every heartbeat")
        }
        guard let route = resolveRoute(submitted, from: address) else { return }
        var schedule = TaskSchedule()
        if !submitted.schedule.isEmpty {
            do {
                schedule = try TaskSchedule(frame: submitted.schedule, receivedAt: Self.epochMilliseconds())
            } catch {
                return refuseTask(address, taskID, .badRequest, "invalid schedule: \(error)")
            }
        }
        journalAccepted(submitted, schedule: schedule, from: address)
        arrivalClock += 1
        let task = PendingTask(replyTo: address, taskID: taskID, route: route.route, body: submitted.body, sequence: arrivalClock,
                               schedule: schedule, rank: rank(priority: schedule.priority))
        let accepted = if let pool = route.awaitedPool, schedule.eta == nil { holdForAwaitedPool(task, reference: pool) } else { accept(task) }
        if accepted {
            stats.tasksAccepted += 1
        } else {
            stats.tasksRefusedOverloaded += 1
            refuseAccepted(task, .overloaded, queues.refusal(of: task))
        }
    }

    /// Resolves the task's selector, affinity and fallback; replies with an error and returns `nil`
    /// when they are unusable. An affinity task for a pool the broker does not know yet comes back
    /// with `awaitedPool` set while a freshly started broker waits for its pools.
    private func resolveRoute(_ submitted: SubmittedTask, from address: ReplyAddress) -> (route: Route, awaitedPool: String?)? {
        let selector = submitted.selector ?? defaultSelector
        guard selector == .affinity else { return (.selector(selector), nil) }
        let taskID = submitted.taskID
        guard !submitted.affinity.isEmpty else {
            refuseTask(address, taskID, .badRequest, "the affinity selector needs a pool name or id in the affinity frame")
            return nil
        }
        let fallback = submitted.fallback.isEmpty ? nil : SelectorName.selector(named: submitted.fallback)
        if !submitted.fallback.isEmpty, fallback == nil || fallback == .affinity {
            refuseTask(address, taskID, .invalidSelector, "invalid fallback selector '\(String(decoding: submitted.fallback, as: UTF8.self))'; valid fallbacks: least_loaded, round_robin, random")
            return nil
        }
        let reference = submitted.affinity
        if let slot = registry.slot(reference: reference) { return (.pinned(registry[slot].routingID), nil) }
        if let fallback { return (.selector(fallback), nil) }
        let pool = String(decoding: reference, as: UTF8.self)
        if awaitedPools.awaits(pool) { return (.pinned(reference), pool) }
        refuseTask(address, taskID, .noSuchPool, "no such pool '\(pool)': no live pool has that name or id")
        return nil
    }
}
