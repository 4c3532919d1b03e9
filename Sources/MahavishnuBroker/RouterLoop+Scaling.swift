import MahavishnuCore
import ZeroMQ

/// Resizing pools: on request (`scale`) and by the autoscaler for pools registered with
/// `auto_scale`. The broker's credit follows at once; the pool adds workers, and retires idle
/// ones, or busy ones only after their task finishes.
extension RouterLoop {
    /// Resizes the pool in `slot` to `target` workers and reports why.
    func resize(_ slot: Int, to target: Int, reason: String) {
        let from = registry[slot].capacity
        guard target != from else { return }
        registry[slot].capacity = target
        registry[slot].registration.workers = target
        registry[slot].lastScaled = .now
        _ = sendToPool(registry[slot].routingID, .scale(workers: target))
        let pool = registry[slot].registration
        logger.info("pool scaled", metadata: ["pool.id": "\(pool.poolID)", "pool.from": "\(from)", "pool.to": "\(target)", "pool.reason": "\(reason)"])
        configuration.onEvent(.poolScaled(poolID: pool.poolID, name: pool.name, from: from, to: target, reason: reason))
        available.refresh(slot, pool: registry[slot])
        feed(slot)
    }

    /// The `scale` control command: a target outside `[min_workers, max_workers]` is refused.
    func scale(_ request: ScaleRequest, reply: ControlReply) {
        guard let slot = lookUp(request.pool, reply: reply) else { return }
        let pool = registry[slot].registration
        guard (pool.minWorkers...pool.maxWorkers).contains(request.targetWorkers) else {
            return replyError(reply.address, reference: reply.requestID, .invalidArgument,
                              "target_workers \(request.targetWorkers) is outside pool '\(pool.name)' range [\(pool.minWorkers), \(pool.maxWorkers)]")
        }
        guard registry[slot].acceptsWork else {
            return replyError(reply.address, reference: reply.requestID, .invalidArgument, "pool '\(pool.name)' is \(registry[slot].phase == .draining ? "closing" : "unreachable") and cannot be scaled")
        }
        resize(slot, to: request.targetWorkers, reason: "requested")
        sendReply(reply, registry[slot].summary())
    }

    /// Grows auto-scaling pools while tasks wait for them; shrinks them back toward `min_workers`
    /// once their workers have sat idle for the cooldown, and never sooner than a cooldown after
    /// the last resize (hysteresis, so it does not flap).
    func autoscale(_ now: ContinuousClock.Instant) {
        guard case .running = state else { return }
        for slot in registry.slotIndices where registry.isLive(slot) && registry[slot].registration.autoScale && registry[slot].acceptsWork {
            let pool = registry[slot]
            let full = pool.inFlight >= pool.capacity
            let waiting = pool.affinityQueue.count + (full ? queues.shared.count : 0)
            if waiting > 0 {
                registry[slot].idleSince = nil
                if pool.capacity < pool.registration.maxWorkers {
                    resize(slot, to: min(pool.registration.maxWorkers, pool.capacity + waiting), reason: "\(waiting) tasks waiting")
                }
            } else if !full && pool.capacity > pool.registration.minWorkers {
                let idleSince = pool.idleSince ?? now
                registry[slot].idleSince = idleSince
                let settled = pool.lastScaled.map { now - $0 >= configuration.autoscaleCooldown } ?? true
                if now - idleSince >= configuration.autoscaleCooldown && settled {
                    registry[slot].idleSince = nil
                    resize(slot, to: max(pool.registration.minWorkers, pool.inFlight), reason: "workers idle for \(configuration.autoscaleCooldown)")
                }
            } else {
                registry[slot].idleSince = nil
            }
        }
    }
}
