import MahavishnuCore
import ZeroMQ

/// Liveness, once per heartbeat interval: the broker beats to every pool it can reach, declares
/// lost the pools that stayed silent too long, gives up on lost pools whose wait ran out, and
/// lets the autoscaler look at every pool; after a burst, freed memory goes back to the system.
extension RouterLoop {
    func heartbeatTick(_ now: ContinuousClock.Instant) {
        for slot in registry.slotIndices where registry.isLive(slot) {
            switch registry[slot].phase {
            case .active, .draining:
                let silence = now - registry[slot].lastSeen
                if silence > heartbeat.deadline {
                    poolLost(slot, reason: "it missed \(heartbeat.liveness) heartbeats (silent for \(silence.roundedUpMilliseconds) ms)")
                } else if !sendToPool(registry[slot].routingID, .heartbeat) {
                    poolLost(slot, reason: "the broker could not reach it")
                }
            case .lost(let until) where until <= now:
                giveUpOnLostPool(slot)
            case .lost:
                break
            }
        }
        autoscale(now)
        exportMetrics()
        maintainResults()
        maintainJournal()
        heapTrimmer.tick(activity: stats.tasksAccepted + stats.resultsDelivered + stats.resultsUndeliverable + stats.tasksRefusedOverloaded
                         + (journal?.compactions ?? 0))
    }

    /// Copies `stats` and the pools' state into `metrics`, for the next scrape and the dashboard.
    private func exportMetrics() {
        let entries = registry.entries
        var overview = BrokerOverview()
        overview.publishedAt = Double(Self.epochMilliseconds()) / 1000
        overview.stats = statsSnapshot()
        overview.health = healthReport()
        activitySecond = Int(overview.publishedAt)
        overview.activity = activity.snapshot(at: activitySecond)
        metrics.advance(from: exportedStats, to: overview.stats, depthByPriority: queues.waitingByPriority(plus: entries.map(\.affinityQueue)))
        exportedStats = overview.stats
        for pool in entries {
            let details = PoolDetails(
                poolID: pool.registration.poolID, name: pool.registration.name, host: pool.registration.host, pid: pool.registration.pid,
                workerType: pool.registration.workerType, restarts: supervisor?.restarts(of: pool.registration.poolID) ?? 0,
                residentMemoryBytes: Int((pool.vitals.decoded?.residentMemoryMB ?? 0) * 1_048_576), tasksCompleted: pool.tasksCompleted
            )
            overview.pools.append(details)
            guard let handles = pool.metrics else { continue }
            handles.up.set(to: pool.phase == .active || pool.phase == .draining ? 1 : 0)
            handles.busyWorkers.set(Int64(pool.inFlight))
            handles.idleWorkers.set(Int64(max(0, pool.capacity - pool.inFlight)))
            handles.restarts.set(Int64(details.restarts))
            handles.residentMemory.set(Int64(details.residentMemoryBytes))
        }
        metrics.overview.withLock { $0 = overview }
    }

    /// A lost pool did not come back in time: its waiting affinity tasks fail `pool_lost`.
    private func giveUpOnLostPool(_ slot: Int) {
        let name = registry[slot].registration.name
        let waited = Int(configuration.affinityWait.components.seconds)
        refuseWaiting(slot, .poolLost, "pool '\(name)' has been unreachable for \(waited) s (affinity_wait_seconds); the task was not run")
        supervisor?.terminate(registry[slot].registration.poolID)
        removePool(slot, reason: "it stayed unreachable for \(waited) s")
    }
}
