/// The administrative requests a producer can make with `CTRL` (arguments and replies are JSON).
public enum ControlCommand: String, Codable, Sendable, CaseIterable {
    /// Reply: `{"pools": [PoolSummary]}`.
    case list
    /// Reply: `BrokerStats`.
    case stats
    /// Reply: `HealthReport`.
    case health
    /// Arguments: `PoolConfig`. Reply: `PoolIdentity`, once the new pool has registered.
    case spawn
    /// Arguments: `PoolReference`. Reply: `PoolIdentity`, once the pool has drained and stopped.
    case close
    /// Reply: `ClosedPools`, once every pool has drained and stopped.
    case closeAll = "close_all"
    /// Arguments: `ScaleRequest`. Reply: `PoolSummary`, once the pool has applied the new size.
    case scale
    /// Arguments: `PoolReference`. Reply: `PoolMetrics`.
    case metrics
    /// Reply: `BrokerInfo` (endpoints, version, heartbeat settings).
    case info
    /// Arguments: `TaskQuery`. Reply: a `TaskReport`.
    case task
    /// Arguments: `TaskQuery`. Reply: a `CancelReply`. Ends a task that has not run with status `cancelled`.
    case cancel
    /// Asked of a pair's passive broker (admin): it asks the active peer to step down, and takes
    /// over on the next request once the peer is gone. Reply: `PromoteReply`.
    case promote

    /// The known command names, comma-separated, for error messages.
    public static let validNames = allCases.map(\.rawValue).joined(separator: ", ")
}

/// The reply to `ControlCommand.list`.
public struct PoolList: Codable, Sendable {
    public var pools: [PoolSummary]
    /// The answering broker's place in its pair; `nil` for a broker alone.
    public var pair: PairStatus?
    public init(pools: [PoolSummary], pair: PairStatus? = nil) {
        self.pools = pools
        self.pair = pair
    }
}

/// Arguments of the `scale` control command.
public struct ScaleRequest: Codable, Sendable, Equatable {
    /// A pool id or name.
    public var pool: String
    /// The worker count wanted, within the pool's `[min_workers, max_workers]`.
    public var targetWorkers: Int

    public init(pool: String, targetWorkers: Int) {
        self.pool = pool
        self.targetWorkers = targetWorkers
    }

    enum CodingKeys: String, CodingKey { case pool, targetWorkers = "target_workers" }
}
