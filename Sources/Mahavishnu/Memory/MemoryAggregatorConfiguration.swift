import MahavishnuCore

/// Where a `MemoryAggregator` listens and stores, and how often it writes.
public struct MemoryAggregatorConfiguration: Sendable {
    /// The bus it subscribes to `task_completed` on. Default: `MessageBusConfiguration()` with identity `memory`.
    public var bus = MessageBusConfiguration()
    /// The database file (`memory_database_path`). Default `~/.local/share/mahavishnu/memory.sqlite`, expanded.
    public var databasePath = Settings().memoryDatabaseFile
    /// Time between writes (`memory_sync_interval`). Default 60 s.
    public var syncInterval = Duration.seconds(60)
    /// Results written at once: a full batch is written without waiting for the interval (`memory_batch_size`). Default 500.
    public var batchSize = 500
    /// Most results held in memory while the database cannot be written; beyond it new ones are dropped and counted. Default 100,000.
    public var maxPending = 100_000

    public init() {
        bus.identity = "memory"
    }

    /// Everything from settings: bus endpoints, database path, sync interval and batch size.
    public init(settings: Settings) {
        self.init()
        bus = MessageBusConfiguration(settings: settings, identity: "memory")
        databasePath = settings.memoryDatabaseFile
        syncInterval = .milliseconds(Int64(settings.memorySyncInterval * 1000))
        batchSize = settings.memoryBatchSize
    }
}
