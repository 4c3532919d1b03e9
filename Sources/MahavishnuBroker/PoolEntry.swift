import DequeModule
import MahavishnuCore
import ZeroMQ

/// One registered pool as the router loop tracks it.
struct PoolEntry {
    /// What the pool said about itself when it registered.
    var registration: PoolRegistration
    /// The pool's ZeroMQ routing id on the backend (its pool id's bytes).
    let routingID: [UInt8]
    /// Worker slots the pool announced: the most tasks it may have in flight.
    var capacity: Int
    /// Tasks dispatched to it without a result yet.
    var inFlight = 0
    /// When it last got a task, on the loop's dispatch counter (0: never).
    var lastUse: UInt64 = 0
    /// Results returned since registration.
    var tasksCompleted = 0
    /// Affinity tasks waiting for this pool's capacity.
    var affinityQueue = WaitingQueue()
    /// Where the pool is in its life.
    var phase = PoolPhase.active
    /// The pool said BYE: once its in-flight tasks are answered it is released.
    var saidBye = false
    /// When the broker last received anything from the pool.
    var lastSeen = ContinuousClock.now
    /// Tasks the pool was running before it registered again: they hold slots until their
    /// (by then stale) results come back.
    var ghostTasks = 0
    /// The vitals from the pool's latest heartbeat.
    var vitals = HeartbeatVitals()
    /// Since when the pool has had idle slots and nothing waiting (for the autoscaler).
    var idleSince: ContinuousClock.Instant?
    /// When the pool was last resized.
    var lastScaled: ContinuousClock.Instant?
    /// Its series in the broker's metrics, labelled with its name.
    var metrics: PoolMetricHandles?

    init(registration: PoolRegistration) {
        self.registration = registration
        routingID = Array(registration.poolID.utf8)
        capacity = max(0, registration.workers)
        inFlight = max(0, registration.busy)
        ghostTasks = inFlight
    }

    /// The pool takes new tasks.
    var acceptsWork: Bool {
        if case .active = phase { return true }
        return false
    }

    var hasFreeSlot: Bool { acceptsWork && inFlight < capacity }

    /// Selectors may pick it: every pool but the one-slot workers of `WorkerManager`, which run
    /// only the tasks sent to them by affinity.
    var takesSelectorTasks: Bool { registration.type != PoolConfig.workerPoolType }

    func summary() -> PoolSummary {
        PoolSummary(
            poolID: registration.poolID, name: registration.name, type: registration.type,
            workerType: registration.workerType, minWorkers: registration.minWorkers,
            maxWorkers: registration.maxWorkers, workers: capacity, inFlight: inFlight,
            queued: affinityQueue.count, tasksCompleted: tasksCompleted,
            pid: registration.pid, host: registration.host
        )
    }
}

/// A pool's life as the broker sees it.
enum PoolPhase: Equatable {
    /// Registered, heard from, taking tasks.
    case active
    /// Closing: finishing its tasks, taking no new ones.
    case draining
    /// Unreachable (missed heartbeats or its process died); affinity tasks wait for it until the deadline.
    case lost(until: ContinuousClock.Instant)
}

/// Where a reply goes: a producer's routing id, and whether it framed its request with an empty
/// delimiter (a REQ socket does) that the reply must repeat.
struct ReplyAddress {
    let routingID: [UInt8]
    let delimited: Bool
}

/// How a task is to be routed.
enum Route {
    /// Any pool, picked by this selector.
    case selector(PoolSelector)
    /// The pool with this routing id, and nowhere else.
    case pinned([UInt8])
}

/// A task the broker has accepted: waiting in a queue, or held by a lease while a pool runs it.
struct PendingTask {
    var replyTo: ReplyAddress
    let taskID: [UInt8]
    /// How it is routed; an affinity task held for a pool not yet known is pinned once it registers.
    var route: Route
    /// The body as the producer sent it, shared (not copied) with the frame sent to the pool.
    let body: Payload
    /// Arrival order, to serve a pool's affinity queue and the shared queue fairly.
    let sequence: UInt64
    /// Times it has been dispatched.
    var attempts = 0
    /// Its priority, deadline and time to run, with absolute times.
    var schedule = TaskSchedule()
    /// Where it stands in a queue: its arrival in milliseconds on the loop's clock, later by
    /// `TaskSchedule.agingPerLevel` for each priority level below 9. Lower is served first.
    var rank: UInt64 = 0

    /// When it arrived in its queue, in milliseconds on the loop's clock (its rank without the aging).
    var arrivalMilliseconds: UInt64 {
        rank - UInt64(TaskSchedule.priorities.upperBound - schedule.priority) * UInt64(TaskSchedule.agingPerLevel.roundedUpMilliseconds)
    }

    /// Who is owed its result.
    var owner: ResultOwner { ResultOwner(taskID: taskID, replyTo: replyTo, attempts: attempts, streams: schedule.stream) }

    /// Whether it is served before `other` in a queue: lower rank, then earlier arrival.
    func isServed(before other: PendingTask) -> Bool {
        (rank, sequence) < (other.rank, other.sequence)
    }
}
