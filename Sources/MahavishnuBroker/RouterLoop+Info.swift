import MahavishnuCore

/// The `task` control command: what a client that knows only the frontend asks of a task.
extension RouterLoop {
    /// The `task` reply for `taskID`: finished (from the result cache), running (a lease),
    /// waiting (a queue), or unknown. Rare and administrative: it may scan the queues.
    func taskReport(_ taskID: String) -> [UInt8] {
        let key = Array(taskID.utf8)
        if let cached = resultCache[key] {
            let result = try? JSONCoding.decode(TaskResult.self, from: cached.body.bytes)
            return TaskReport.json(taskID: taskID, state: result?.status == .completed ? .completed : .failed,
                                   attempts: cached.attempts, poolID: result?.poolID, resultJSON: cached.body.bytes)
        }
        if let lease = leases[key] {
            return TaskReport.json(taskID: taskID, state: .running, attempts: lease.task.attempts,
                                   poolID: registry[lease.poolSlot].registration.poolID, resultJSON: nil)
        }
        if let waiting = waitingTask(key) {
            return TaskReport.json(taskID: taskID, state: .queued, attempts: waiting.attempts, poolID: nil, resultJSON: nil)
        }
        return TaskReport.json(taskID: taskID, state: .unknown, attempts: 0, poolID: nil, resultJSON: nil)
    }

    /// The waiting task with this id, in the shared queue or a pool's affinity queue.
    private func waitingTask(_ taskID: [UInt8]) -> PendingTask? {
        guard queues.isWaiting(taskID) else { return nil }
        if let task = queues.shared.first(where: { $0.taskID == taskID }) ?? awaitedPools.task(taskID) { return task }
        for slot in registry.slotIndices where registry.isLive(slot) {
            if let task = registry[slot].affinityQueue.first(where: { $0.taskID == taskID }) { return task }
        }
        return nil
    }
}
