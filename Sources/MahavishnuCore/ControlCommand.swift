/// The administrative requests a producer can make with `CTRL` (arguments and replies are JSON).
public enum ControlCommand: String, Codable, Sendable, CaseIterable {
    /// Reply: `{"pools": [PoolSummary]}`.
    case list
    /// Reply: `BrokerStats`.
    case stats

    /// The known command names, comma-separated, for error messages.
    public static let validNames = allCases.map(\.rawValue).joined(separator: ", ")
}

/// The reply to `ControlCommand.list`.
public struct PoolList: Codable, Sendable {
    public var pools: [PoolSummary]
    public init(pools: [PoolSummary]) { self.pools = pools }
}
