import MahavishnuCore
import ZeroMQ

/// Tasks with a schedule: delayed tasks come due, waiting tasks pass their deadline, and a
/// producer cancels a task that has not run. Each ends with one final result the journal keeps,
/// so a cancelled or expired task never runs, not after a requeue and not after a restart.
extension RouterLoop {
    /// Ends the waiting `task` with status `expired`: its deadline passed before it could run.
    func expire(_ task: ResultOwner) {
        stats.tasksExpired += 1
        metrics.endedByBroker[.expired]?.increment()
        finishTask(task, body: brokerResult(task, .expired, "the task's deadline passed before a worker was free to run it; it was not run"))
    }

    /// Dispatches the delayed tasks whose time has come and expires the waiting tasks past their
    /// deadline; run with the loop's other timers.
    func runScheduleTimers() {
        guard let due = queues.nextDue, due <= Self.epochMilliseconds() else { return }
        let now = Self.epochMilliseconds()
        for ended in queues.takeExpired(at: now) { expire(ended) }
        // A draining broker starts nothing: its delayed tasks wait in the journal for the next one.
        guard case .running = state else { return }
        for var task in queues.takeDue(at: now) where release(&task) {
            if !accept(task) { refuseAccepted(task, .overloaded, queues.refusal(of: task)) }
        }
    }

    /// When the next delayed task or deadline is due, on the loop's clock.
    var nextScheduleTimer: ContinuousClock.Instant? {
        guard case .running = state, let due = queues.nextDue else { return nil }
        return .now + .milliseconds(Int64(due) - Int64(Self.epochMilliseconds()))
    }

    /// `task`'s place in its queue: its arrival on the loop's clock, later by
    /// `TaskSchedule.agingPerLevel` for each priority level below the highest.
    func rank(priority: Int) -> UInt64 {
        let arrival = UInt64((ContinuousClock.now - clockOrigin).roundedUpMilliseconds)
        let levelsBelowTop = UInt64(TaskSchedule.priorities.upperBound - priority)
        return arrival + levelsBelowTop * UInt64(TaskSchedule.agingPerLevel.roundedUpMilliseconds)
    }

    /// The `cancel` control command: a task that waits (queued, delayed, or held for its pool)
    /// ends `cancelled` at once; a running one's pool is told to end it (`CANCEL`), and its
    /// result, `cancelled`, is the task's; a finished or unknown one is reported as such.
    func cancel(_ taskID: String) -> CancelReply {
        let key = Array(taskID.utf8)
        if let cached = resultCache[key] {
            let status = (try? JSONCoding.decode(TaskResult.self, from: cached.body.bytes))?.status
            return CancelReply(taskID: taskID, cancelled: false, state: .finished,
                               message: "the task already finished\(status.map { " (\($0.rawValue))" } ?? ""); nothing to cancel")
        }
        if let lease = leases[key] {
            let pool = registry[lease.poolSlot].registration.name
            if !lease.cancelled {
                leases[key]!.cancelled = true
                journal?.record(.cancelled(taskID: key))
                _ = sendToPool(registry[lease.poolSlot].routingID, .cancel(taskID: key))
                stats.tasksCancelled += 1
            }
            return CancelReply(taskID: taskID, cancelled: true, state: .cancelling,
                               message: "pool '\(pool)' was told to end it (SIGTERM to its process group, SIGKILL after the grace period); its producer gets the pool's cancelled result, and it never runs again")
        }
        guard let owner = queues.end(key) else {
            return CancelReply(taskID: taskID, cancelled: false, state: .unknown, message: "no task '\(taskID)' is waiting, running or recently finished on this broker")
        }
        stats.tasksCancelled += 1
        finishCancelled(owner, "before it ran")
        return CancelReply(taskID: taskID, cancelled: true, state: .cancelled, message: "cancelled before it ran; its producer got a cancelled result")
    }

    /// Ends `task` with status `cancelled`; `when` says at what point.
    func finishCancelled(_ task: ResultOwner, _ when: String) {
        metrics.endedByBroker[.cancelled]?.increment()
        finishTask(task, body: brokerResult(task, .cancelled, "the task was cancelled \(when)"))
    }

    /// A final result the broker itself gives a task that no pool ran.
    private func brokerResult(_ task: ResultOwner, _ status: TaskStatus, _ error: String) -> Payload {
        let result = TaskResult(taskID: String(decoding: task.taskID, as: UTF8.self), poolID: "", workerID: "", status: status, output: "", error: error, duration: 0)
        return Payload((try? JSONCoding.encode(result)) ?? [])
    }
}
