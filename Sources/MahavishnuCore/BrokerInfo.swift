/// The version of this Mahavishnu build, as `--version` and the broker's `info` reply say it.
public enum MahavishnuVersion {
    public static let current = "0.6.0"
}

/// The reply to `ControlCommand.info`: where the broker listens and how it beats, so that a
/// client that knows only the frontend can find the bus and the memory store.
public struct BrokerInfo: Codable, Sendable, Equatable {
    /// The broker's `MahavishnuVersion`.
    public var version: String
    /// The frontend and backend as bound (a wildcard port resolved to the real one).
    public var frontend: String
    public var backend: String
    /// The bus endpoints as bound; `nil` when the broker runs no bus.
    public var busPub: String?
    public var busSub: String?
    /// The memory store's SQLite file on the broker's host; `nil` when aggregation is off.
    public var memoryDatabasePath: String?
    /// The backend's heartbeat interval and how many beats a peer may miss.
    public var heartbeatIntervalMs: Int
    public var heartbeatLiveness: Int

    public init(
        version: String = MahavishnuVersion.current, frontend: String, backend: String, busPub: String?, busSub: String?,
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
        case memoryDatabasePath = "memory_database_path"
        case heartbeatIntervalMs = "heartbeat_interval_ms", heartbeatLiveness = "heartbeat_liveness"
    }

    /// Writes absent endpoints as `null`, so every key is always there.
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
    }
}
