/// The reply to `ControlCommand.info`: where a broker listens, as bound (wildcard ports
/// resolved), and how it runs, so clients can find its bus from its frontend alone.
public struct BrokerInfo: Codable, Sendable, Equatable {
    /// The broker's version (`MahavishnuVersion.current` of its build).
    public var version: String
    /// Where producers connect.
    public var frontend: String
    /// Where pools connect.
    public var backend: String
    /// The bus's publish side (the broker's XSUB); `nil` when the broker runs no bus.
    public var busPub: String?
    /// The bus's subscribe side (the broker's XPUB); `nil` when the broker runs no bus.
    public var busSub: String?
    /// The memory database its aggregator writes; `nil` when memory aggregation is off.
    public var memoryDatabasePath: String?
    /// Milliseconds between heartbeats on the broker–pool link.
    public var heartbeatIntervalMs: Int
    /// Heartbeats a pool may miss before it is declared lost.
    public var heartbeatLiveness: Int
    /// Where the broker stands in its primary/backup pair; `nil` for a broker without a peer.
    public var pair: PairStatus?

    public init(
        version: String, frontend: String, backend: String, busPub: String?, busSub: String?,
        memoryDatabasePath: String?, heartbeatIntervalMs: Int, heartbeatLiveness: Int
    ) {
        self.version = version
        self.frontend = frontend
        self.backend = backend
        self.busPub = busPub
        self.busSub = busSub
        self.memoryDatabasePath = memoryDatabasePath
        self.heartbeatIntervalMs = heartbeatIntervalMs
        self.heartbeatLiveness = heartbeatLiveness
    }

    enum CodingKeys: String, CodingKey {
        case version, frontend, backend, busPub = "bus_pub", busSub = "bus_sub"
        case memoryDatabasePath = "memory_database_path", heartbeatIntervalMs = "heartbeat_interval_ms", heartbeatLiveness = "heartbeat_liveness"
        case pair
    }

    /// Encodes every key, the absent ones as `null`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version, forKey: .version)
        try container.encode(frontend, forKey: .frontend)
        try container.encode(backend, forKey: .backend)
        try container.encode(busPub, forKey: .busPub)
        try container.encode(busSub, forKey: .busSub)
        try container.encode(memoryDatabasePath, forKey: .memoryDatabasePath)
        try container.encode(heartbeatIntervalMs, forKey: .heartbeatIntervalMs)
        try container.encode(heartbeatLiveness, forKey: .heartbeatLiveness)
        try container.encode(pair, forKey: .pair)
    }
}
