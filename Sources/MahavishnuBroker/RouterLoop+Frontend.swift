import Logging
import MahavishnuCore
import ZeroMQ

/// Producer messages: `TASK` and `CTRL` (see `docs/protocol.md`).
extension RouterLoop {
    func handleFrontendMessage() throws {
        let address = ReplyAddress(routingID: frames.bytes(0), delimited: frames.count > 1 && frames.size(1) == 0)
        let first = address.delimited ? 2 : 1
        if !owedResults.isEmpty, owedResults.owes(address.routingID) { deliverOwedResults(to: address.routingID) }
        guard frames.count > first, frames.frame(first, equals: Wire.version) else {
            return refuseMalformed(address, .unsupportedVersion, "expected protocol version MHV1 in the first frame")
        }
        guard !frames.overflowed else {
            return refuseMalformed(address, reference: idFrame(first), .badRequest, "message has more than \(frames.capacity - first) frames")
        }
        guard frames.count >= first + 2 else {
            return refuseMalformed(address, .badRequest, "a message needs at least a version frame and a command frame")
        }
        if frames.frame(first + 1, equals: Wire.Command.task) {
            handleTaskSubmission(from: address, first: first)
        } else if frames.frame(first + 1, equals: Wire.Command.control) {
            handleControl(from: address, first: first)
        } else {
            refuseMalformed(address, reference: idFrame(first), .unknownCommand, "unknown command '\(frames.string(first + 1))'; producers send TASK or CTRL")
        }
    }

    /// The id an error reply is about: frame 3 of a `TASK` or `CTRL` when it holds one, else empty.
    /// Read only on the way to an error, so a valid task costs no copy of it.
    func idFrame(_ first: Int) -> [UInt8] {
        frames.count > first + 2 && frames.size(first + 2) <= Wire.maxIDLength ? frames.bytes(first + 2) : []
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

    private func handleTaskSubmission(from address: ReplyAddress, first: Int) {
        guard frames.count == first + Wire.producerTaskFrames else {
            return refuseMalformed(address, reference: idFrame(first), .badRequest,
                                   "TASK takes 7 frames (MHV1, TASK, task id, selector, affinity, fallback, body); got \(frames.count - first)")
        }
        let taskID = frames.bytes(first + 2)
        guard (1...Wire.maxIDLength).contains(taskID.count) else {
            return refuseMalformed(address, .badRequest, "the task id must be 1 to \(Wire.maxIDLength) bytes; got \(taskID.count)")
        }
        guard frames.size(first + 6) <= configuration.maxTaskBytes else {
            stats.tasksRefusedTooLarge += 1
            return replyError(address, reference: taskID, .tooLarge,
                              "the task body is \(ByteSize.describe(frames.size(first + 6))); this broker takes at most \(ByteSize.describe(configuration.maxTaskBytes)) (max_task_bytes); pass large inputs by reference (a path or URL), or raise max_task_bytes")
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
        guard let route = resolveRoute(address, taskID, first: first) else { return }
        journalAccepted(address, taskID, first: first)
        arrivalClock += 1
        let task = PendingTask(replyTo: address, taskID: taskID, route: route.route, body: frames.retain(first + 6), sequence: arrivalClock)
        let accepted = if let pool = route.awaitedPool { holdForAwaitedPool(task, reference: pool) } else { accept(task) }
        if accepted {
            stats.tasksAccepted += 1
        } else {
            stats.tasksRefusedOverloaded += 1
            refuseAccepted(task, .overloaded, queues.refusal(of: task))
        }
    }

    /// Reads the selector, affinity and fallback frames; replies with an error and returns `nil`
    /// when they are invalid. An affinity task for a pool the broker does not know yet comes back
    /// with `awaitedPool` set while a freshly started broker waits for its pools.
    private func resolveRoute(_ address: ReplyAddress, _ taskID: [UInt8], first: Int) -> (route: Route, awaitedPool: String?)? {
        guard let selector = selectorNamed(inFrame: first + 3) else {
            refuseTask(address, taskID, .invalidSelector, "invalid selector '\(frames.string(first + 3))'; valid selectors: \(PoolSelector.validNames)")
            return nil
        }
        guard selector == .affinity else { return (.selector(selector), nil) }
        guard frames.size(first + 4) > 0 else {
            refuseTask(address, taskID, .badRequest, "the affinity selector needs a pool name or id in the affinity frame")
            return nil
        }
        let fallback = frames.size(first + 5) == 0 ? nil : selectorNamed(inFrame: first + 5)
        if frames.size(first + 5) > 0, fallback == nil || fallback == .affinity {
            refuseTask(address, taskID, .invalidSelector, "invalid fallback selector '\(frames.string(first + 5))'; valid fallbacks: least_loaded, round_robin, random")
            return nil
        }
        let reference = frames.bytes(first + 4)
        if let slot = registry.slot(reference: reference) { return (.pinned(registry[slot].routingID), nil) }
        if let fallback { return (.selector(fallback), nil) }
        let pool = String(decoding: reference, as: UTF8.self)
        if awaitedPools.awaits(pool) { return (.pinned(reference), pool) }
        refuseTask(address, taskID, .noSuchPool, "no such pool '\(pool)': no live pool has that name or id")
        return nil
    }

    /// The selector a header frame names; the default for an empty frame; `nil` for an unknown name.
    private func selectorNamed(inFrame index: Int) -> PoolSelector? {
        if frames.size(index) == 0 { return defaultSelector }
        return SelectorNames.all.first { frames.frame(index, equals: $0.bytes) }?.selector
    }
}

/// Selector names as bytes, so a task's selector frame is matched without building a string.
enum SelectorNames {
    static let all: [(bytes: [UInt8], selector: PoolSelector)] = PoolSelector.allCases.map { (Array($0.rawValue.utf8), $0) }
}
