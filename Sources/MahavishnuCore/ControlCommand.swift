/// The administrative requests a producer can make with `CTRL` (arguments and replies are JSON).
public enum ControlCommand: String, Codable, Sendable, CaseIterable {
    /// Reply: `{"pools": [PoolSummary]}`.
    case list
    /// Reply: `BrokerStats`.
    case stats
    /// Reply: `HealthReport`.
    case health
    /// Arguments: `PoolSpawnRequest`. Reply: `PoolHandle`, once the new pool has registered.
    case spawn
    /// Arguments: `PoolReference`. Reply: `PoolHandle`, once the pool has drained and stopped.
    case close
    /// Reply: `ClosedPools`, once every pool has drained and stopped.
    case closeAll = "close_all"

    /// The known command names, comma-separated, for error messages.
    public static let validNames = allCases.map(\.rawValue).joined(separator: ", ")
}

/// The reply to `ControlCommand.list`.
public struct PoolList: Codable, Sendable {
    public var pools: [PoolSummary]
    public init(pools: [PoolSummary]) { self.pools = pools }
}
