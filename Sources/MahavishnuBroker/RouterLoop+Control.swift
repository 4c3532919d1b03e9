import MahavishnuCore
import ZeroMQ

/// Producer `CTRL` requests: administrative, rare, so their JSON is decoded here.
extension RouterLoop {
    func handleControl(_ command: ControlCommand, arguments: [UInt8], reply: ControlReply, identityFrame: Int) {
        if Self.adminCommands.contains(command), let refusal = adminRefusal(for: command, frame: identityFrame) {
            stats.adminRefused += 1
            return replyError(reply.address, reference: reply.requestID, .forbidden, refusal)
        }
        switch command {
        case .list:
            sendReply(reply, PoolList(pools: registry.entries.map { $0.summary() }, pair: pair?.status(at: .now)))
        case .stats:
            sendReply(reply, statsSnapshot())
        case .health:
            sendReply(reply, healthReport())
        case .spawn:
            guard let request = decode(PoolConfig.self, arguments, reply, expected: "name, pool_type, min_workers, max_workers, worker_type") else { return }
            guard case .running = state else { return refuseWhileDraining(reply) }
            spawn(request, reply: reply)
        case .close:
            guard let reference = decode(PoolReference.self, arguments, reply, expected: "pool (an id or name)") else { return }
            close(reference.pool, reply: reply)
        case .closeAll:
            closeAll(reply: reply)
        case .scale:
            guard let request = decode(ScaleRequest.self, arguments, reply, expected: "pool (an id or name) and target_workers") else { return }
            scale(request, reply: reply)
        case .metrics:
            guard let reference = decode(PoolReference.self, arguments, reply, expected: "pool (an id or name)") else { return }
            guard let slot = lookUp(reference.pool, reply: reply) else { return }
            sendReply(reply, metrics(of: slot))
        case .promote:
            promote(reply: reply)
        case .info:
            var current = info
            current.pair = pair?.status(at: .now)
            sendReply(reply, current)
        case .task:
            guard let query = decode(TaskQuery.self, arguments, reply, expected: "task_id (a string)") else { return }
            sendReply(reply, json: taskReport(query.taskID))
        case .cancel:
            guard let query = decode(TaskQuery.self, arguments, reply, expected: "task_id (a string)") else { return }
            sendReply(reply, cancel(query.taskID))
        }
    }

    /// Commands that change the deployment: with CURVE on, only admin keys may send them.
    private static let adminCommands: Set<ControlCommand> = [.spawn, .close, .closeAll, .scale, .promote]

    /// Why this connection may not run `command`, or `nil` if it may (always, without CURVE).
    private func adminRefusal(for command: ControlCommand, frame: Int) -> String? {
        guard authenticator != nil else { return nil }
        let identity = frames.property(frame, "User-Id") ?? "unknown"
        guard !identity.hasPrefix("admin:") else { return nil }
        let (role, fingerprint) = (identity.split(separator: ":").first ?? "unknown", identity.split(separator: ":").last ?? "?")
        logger.info("administrative command refused", metadata: ["control.command": "\(command.rawValue)", "peer.role": "\(role)", "peer.key": "\(fingerprint)"])
        return "\(command.rawValue) needs an admin key; this connection authenticated with \(role) key \(fingerprint)"
    }

    private func decode<T: Decodable>(_ type: T.Type, _ arguments: [UInt8], _ reply: ControlReply, expected: String) -> T? {
        do {
            return try JSONCoding.decode(type, from: arguments)
        } catch {
            replyError(reply.address, reference: reply.requestID, .invalidArgument, "arguments must be a JSON object with \(expected)")
            return nil
        }
    }

    private func refuseWhileDraining(_ reply: ControlReply) {
        replyError(reply.address, reference: reply.requestID, .shuttingDown, "the broker is shutting down and starts no new pools")
    }

    func statsSnapshot() -> BrokerStats {
        var snapshot = stats
        if let refusals = authenticator?.refusals {
            snapshot.authRefusedNoKey = refusals.noKey.load(ordering: .relaxed)
            snapshot.authRefusedUnknownKey = refusals.unknownKey.load(ordering: .relaxed)
            snapshot.authRefusedWrongRole = refusals.wrongRole.load(ordering: .relaxed)
            snapshot.authRefusedBadHandshake = refusals.badHandshake.load(ordering: .relaxed)
        }
        snapshot.queueDepth = queues.depth
        snapshot.queueBytes = queues.bytes
        snapshot.delayed = queues.delayed.count
        snapshot.partialsHeld = heldDeliveries.partialCount
        snapshot.partialsHeldBytes = heldDeliveries.bytes
        snapshot.resultsHeld = heldDeliveries.resultCount
        snapshot.resultCacheEntries = resultCache.count
        snapshot.resultCacheBytes = resultCache.bytes
        snapshot.journalBytes = journal?.file.size ?? 0
        snapshot.resultsOwed = owedResults.count
        snapshot.inFlight = leases.count
        snapshot.pools = registry.count
        return snapshot
    }

    /// Health from what the broker observes; the rules are documented on `HealthReport`.
    func healthReport() -> HealthReport {
        let now = ContinuousClock.now
        let pools = registry.entries.map { pool in
            let unhealthyReason = pool.vitals.decoded?.unhealthyReason
            let status: PoolHealth.Status = switch pool.phase {
            case .active: unhealthyReason == nil ? .healthy : .unhealthy
            case .draining: .draining
            case .lost: .lost
            }
            return PoolHealth(
                poolID: pool.registration.poolID, name: pool.registration.name, type: pool.registration.type,
                status: status, workers: pool.capacity, activeWorkers: pool.inFlight,
                min: pool.registration.minWorkers, max: pool.registration.maxWorkers, queueDepth: pool.affinityQueue.count,
                lastHeartbeatMs: (now - pool.lastSeen).roundedUpMilliseconds, reason: status == .unhealthy ? unhealthyReason : nil
            )
        }
        let active = pools.filter { $0.status == .healthy }.count
        let status: HealthReport.Status =
            active == 0 ? .unhealthy : (active < pools.count || queues.depth > 0 ? .degraded : .healthy)
        return HealthReport(status: status, poolsActive: active, queueDepth: queues.depth, pools: pools, pair: pair?.status(at: .now))
    }
}

extension RouterLoop {
    /// A pool's latest vitals (from its heartbeats) with what the broker knows of it. The
    /// worker count is the broker's, which a resize changes at once; the heartbeat's lags it.
    func metrics(of slot: Int) -> PoolMetrics {
        let pool = registry[slot]
        var vitals = pool.vitals.decoded
        vitals?.totalWorkers = pool.capacity
        return PoolMetrics(
            poolID: pool.registration.poolID, name: pool.registration.name,
            vitals: vitals,
            restarts: supervisor?.restarts(of: pool.registration.poolID) ?? 0,
            lastHeartbeatMs: (ContinuousClock.now - pool.lastSeen).roundedUpMilliseconds
        )
    }
}
