import Logging
import MahavishnuCore
import ZeroMQ

/// Pool messages: `READY`, `RESULT`, `CAPACITY` and `BYE` (see `docs/protocol.md`).
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
        guard let slot = registry.slot(routingID: routingID) else {
            if frames.frame(2, equals: Wire.Command.result) || frames.frame(2, equals: Wire.Command.capacity) || frames.frame(2, equals: Wire.Command.bye) {
                replyErrorToPool(routingID, reference: [], .notRegistered, "this pool is not registered; send READY first")
            } else {
                refuseMalformedPool(routingID, .unknownCommand, "unknown command '\(frames.string(2))'; pools send READY, RESULT, CAPACITY or BYE")
            }
            return
        }
        registry[slot].lastSeen = .now
        if frames.frame(2, equals: Wire.Command.result) {
            handleResult(from: slot)
        } else if frames.frame(2, equals: Wire.Command.capacity) {
            handleCapacity(of: slot)
        } else if frames.frame(2, equals: Wire.Command.bye) {
            handleBye(of: slot)
        } else {
            refuseMalformedPool(routingID, .unknownCommand, "unknown command '\(frames.string(2))'; pools send READY, RESULT, CAPACITY or BYE")
        }
    }

    private func refuseMalformedPool(_ routingID: [UInt8], _ code: ErrorCode, _ message: String) {
        stats.malformedBackend += 1
        logger.info("malformed pool message", metadata: ["error.code": "\(code.rawValue)", "error.message": "\(message)"])
        replyErrorToPool(routingID, reference: [], code, message)
    }

    private func register(_ routingID: [UInt8]) {
        guard frames.count == 4, let registration = try? JSONCoding.decode(PoolRegistration.self, from: frames.bytes(3)) else {
            return refuseMalformedPool(routingID, .badRequest, "READY takes one JSON frame describing the pool (pool_id, name, type, worker_type, min_workers, max_workers, workers, pid, host)")
        }
        guard Array(registration.poolID.utf8) == routingID else {
            return refuseMalformedPool(routingID, .badRequest, "the pool id '\(registration.poolID)' must equal the socket's routing id")
        }
        if let owner = registry.owner(ofName: registration.name, otherThan: registration.poolID) {
            replyErrorToPool(routingID, reference: [], .duplicatePoolName,
                             "pool name '\(registration.name)' is taken by live pool \(owner.registration.poolID); choose another --name")
            return
        }
        let slot: Int
        if let existing = registry.slot(routingID: routingID) {
            slot = existing
            registry[slot].registration = registration
            registry[slot].capacity = max(0, registration.workers)
            registry[slot].lastSeen = .now
        } else {
            slot = registry.add(PoolEntry(registration: registration))
        }
        stats.pools = registry.count
        _ = sendToPool(routingID, headers: [Wire.version, Wire.Command.welcome])
        logger.info("pool registered", metadata: ["pool.id": "\(registration.poolID)", "pool.name": "\(registration.name)", "pool.workers": "\(registration.workers)"])
        if case .running = state {} else { closeIntake(slot) }
        available.refresh(slot, pool: registry[slot])
        configuration.onEvent(.poolRegistered(registry[slot].summary()))
        completeSpawn(registration.poolID)
        feed(slot)
    }

    private func handleResult(from slot: Int) {
        guard frames.count == 5 else {
            return refuseMalformedPool(registry[slot].routingID, .badRequest, "RESULT takes 5 frames (MHV1, RESULT, task id, body)")
        }
        let taskID = frames.bytes(3)
        guard let lease = leases[taskID], lease.poolSlot == slot else {
            stats.resultsStale += 1
            return
        }
        leases[taskID] = nil
        registry[slot].inFlight -= 1
        registry[slot].tasksCompleted += 1
        let delivered = sendToProducer(lease.task.replyTo, headers: [Wire.version, Wire.Command.result, taskID, AttemptFrame.bytes(lease.task.attempts)], bodyFrame: 4)
        if delivered { stats.resultsDelivered += 1 } else { stats.resultsUndeliverable += 1 }
        finishDrainIfDone()
        if !registry[slot].acceptsWork && registry[slot].inFlight == 0 && registry[slot].saidBye {
            removePool(slot, reason: "it drained and left")
            return
        }
        available.refresh(slot, pool: registry[slot])
        feed(slot)
    }

    private func handleCapacity(of slot: Int) {
        guard frames.count == 4, let workers = Int(frames.string(3)), workers >= 0 else {
            return refuseMalformedPool(registry[slot].routingID, .badRequest, "CAPACITY takes one frame: the worker count as a decimal number")
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
