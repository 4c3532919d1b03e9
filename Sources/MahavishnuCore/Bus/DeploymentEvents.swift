/// The payload of `pool_closed`: a pool left the broker.
public struct PoolClosedEvent: Codable, Sendable, Equatable {
    public var poolID: String
    public var name: String
    /// Why: it drained and left, its process exited, …
    public var reason: String

    public init(poolID: String, name: String, reason: String) {
        self.poolID = poolID
        self.name = name
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case poolID = "pool_id", name, reason
    }
}

/// The payload of `status_update`: something in the deployment changed.
public struct StatusUpdate: Codable, Sendable, Equatable {
    /// What changed.
    public enum Status: String, Codable, Sendable {
        /// A pool the broker started could not start; `name` and `reason` say which and why.
        case spawnFailed = "spawn_failed"
        /// The broker stopped taking work and is waiting for running tasks and pools.
        case draining
        /// A pool was resized (by request or by the autoscaler): `from_workers`, `to_workers`, `reason`.
        case scaled
        /// A pool stopped answering or its process died; its tasks went back to the queue.
        case lost
        /// The broker restarts a crashed pool process after `reason`'s backoff.
        case restarting
        /// The broker's place in its pair changed; `reason` gives its state and epoch.
        case pair
        /// Anything else a publisher wants to say; `reason` says it.
        case note
    }

    public var status: Status
    /// The pool concerned, when there is one.
    public var name: String?
    /// Its id, when known.
    public var poolID: String?
    /// Why, in words.
    public var reason: String?
    /// For `scaled`: the worker count before and after.
    public var fromWorkers: Int?
    public var toWorkers: Int?

    public init(status: Status, name: String? = nil, poolID: String? = nil, reason: String? = nil, fromWorkers: Int? = nil, toWorkers: Int? = nil) {
        self.status = status
        self.name = name
        self.poolID = poolID
        self.reason = reason
        self.fromWorkers = fromWorkers
        self.toWorkers = toWorkers
    }

    enum CodingKeys: String, CodingKey {
        case status, name, poolID = "pool_id", reason, fromWorkers = "from_workers", toWorkers = "to_workers"
    }
}

/// The payload of `heartbeat`: a bus probing itself (it sends heartbeats to its own id to learn
/// that its subscriptions are in effect and that what it published has passed the broker).
public struct Heartbeat: Codable, Sendable, Equatable {
    /// The probe's number, rising with each probe the bus sends.
    public var probe: UInt64

    public init(probe: UInt64) {
        self.probe = probe
    }
}
