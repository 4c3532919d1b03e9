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
        maintainResults()
        maintainJournal()
        heapTrimmer.tick(activity: stats.tasksAccepted + stats.resultsDelivered + stats.resultsUndeliverable + stats.tasksRefusedOverloaded
                         + (journal?.compactions ?? 0))
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
