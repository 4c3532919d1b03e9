/// What a new pool should look like (the guide's `PoolConfig`): also the arguments of the `spawn`
/// control command, for the broker to start the pool as its child process.
public struct PoolConfig: Codable, Sendable, Equatable {
    /// Unique among live pools; affinity tasks may name it.
    public var name: String
    /// Pool type; `mahavishnu` runs workers in a local pool process.
    public var poolType: String
    public var minWorkers: Int
    public var maxWorkers: Int
    /// What each worker runs (`echo`, …).
    public var workerType: String
    /// Let the broker grow and shrink the pool between min and max workers.
    public var autoScale: Bool
    /// For a `session-buddy` pool: the delegate service, a name under `delegates:` in the settings
    /// (`nil`: the only one defined). The pool process checks it and fails to start if it is unknown.
    public var delegate: String?

    public init(name: String, poolType: String = "mahavishnu", minWorkers: Int = 1, maxWorkers: Int = 10, workerType: String = "echo", autoScale: Bool = false, delegate: String? = nil) {
        self.name = name
        self.poolType = poolType
        self.minWorkers = minWorkers
        self.maxWorkers = maxWorkers
        self.workerType = workerType
        self.autoScale = autoScale
        self.delegate = delegate
    }

    enum CodingKeys: String, CodingKey {
        case name, poolType = "pool_type", minWorkers = "min_workers", maxWorkers = "max_workers", workerType = "worker_type"
        case autoScale = "auto_scale", delegate
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        poolType = try container.decode(String.self, forKey: .poolType)
        minWorkers = try container.decode(Int.self, forKey: .minWorkers)
        maxWorkers = try container.decode(Int.self, forKey: .maxWorkers)
        workerType = try container.decode(String.self, forKey: .workerType)
        autoScale = try container.decodeIfPresent(Bool.self, forKey: .autoScale) ?? false
        delegate = try container.decodeIfPresent(String.self, forKey: .delegate)
    }

    /// The pool type whose workers forward each task to an outside MCP worker service (a delegate).
    public static let delegatedPoolType = "session-buddy"

    /// The pool type of `WorkerManager`'s one-slot workers: reached by affinity only, never picked by a selector.
    public static let workerPoolType = "worker"

    /// The pool types this build can start: `mahavishnu`, `worker` (the one-slot pools of
    /// `WorkerManager`) and `session-buddy` (delegated to an outside MCP worker service).
    public static let poolTypes = ["mahavishnu", workerPoolType, delegatedPoolType]

    /// Whether the pool's workers run a worker type of this deployment's settings; a delegated
    /// pool's worker type is the outside service's, which that service checks.
    public var runsLocalWorkerType: Bool { poolType != Self.delegatedPoolType }

    /// The problem with these arguments, naming the argument, or `nil` when they are usable.
    public func problem() -> String? {
        if let problem = PoolNaming.problem(with: name, field: "name") { return problem }
        if !Self.poolTypes.contains(poolType) { return "unknown pool type '\(poolType)'; known pool types: \(Self.poolTypes.joined(separator: ", "))" }
        if let problem = PoolNaming.problem(minWorkers: minWorkers, maxWorkers: maxWorkers, fields: ("min_workers", "max_workers")) { return problem }
        if delegate != nil && runsLocalWorkerType { return "delegate applies to \(Self.delegatedPoolType) pools only (pool type '\(poolType)')" }
        return nil
    }
}

/// Arguments of the `close` control command.
public struct PoolReference: Codable, Sendable, Equatable {
    /// A pool id or name.
    public var pool: String
    public init(pool: String) { self.pool = pool }
}

/// The reply to `spawn` and `close`: the pool concerned.
public struct PoolIdentity: Codable, Sendable, Equatable {
    public var poolID: String
    public var name: String
    public var pid: Int32
    public init(poolID: String, name: String, pid: Int32) {
        self.poolID = poolID
        self.name = name
        self.pid = pid
    }
    enum CodingKeys: String, CodingKey { case poolID = "pool_id", name, pid }
}

/// The reply to `close_all`.
public struct ClosedPools: Codable, Sendable, Equatable {
    public var closed: [PoolIdentity]
    public init(closed: [PoolIdentity]) { self.closed = closed }
}
