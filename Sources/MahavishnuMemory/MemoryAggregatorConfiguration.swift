import MahavishnuClient
import MahavishnuCore

/// Where a `MemoryAggregator` listens and stores, and how much it writes and holds.
public struct MemoryAggregatorConfiguration: Sendable {
    /// The bus it subscribes to `task_completed` on. Default: `MessageBusConfiguration()` with identity `memory`.
    public var bus = MessageBusConfiguration()
    /// The database file (`memory_database_path`). Default `~/.local/share/mahavishnu/memory.sqlite`, expanded.
    public var databasePath = Settings().memoryDatabaseFile
    /// The longest a result should wait to be written (`memory_sync_interval`): results are
    /// written continuously, normally within milliseconds; past this the aggregator warns that it
    /// is behind. Also how often it retries a failed write and writes the bus's loss counts
    /// when nothing arrives. Default 1 s.
    public var syncInterval = Duration.seconds(1)
    /// Most results in one write (`memory_batch_size`); when more wait, the next write follows at once. Default 10,000.
    public var batchSize = 10_000
    /// Most results held waiting to be written; beyond it new ones are dropped and their task ids
    /// recorded as missing (`MemoryLossReason.storeBehind`). Default 100,000.
    public var maxPending = 100_000

    /// Messages the aggregator's bus socket and subscription each buffer (the bus's
    /// `highWaterMark` and `subscriptionBuffer`, when those are lower): a burst of results waits
    /// there, rather than being lost, while the aggregator catches up. 50,000.
    public static let receiveBuffer = 50_000

    public init() {
        bus.identity = "memory"
        bufferBursts()
    }

    /// Everything from settings: bus endpoints, database path, sync interval and batch size.
    public init(settings: Settings) {
        self.init()
        bus = MessageBusConfiguration(settings: settings, identity: "memory")
        bufferBursts()
        databasePath = settings.memoryDatabaseFile
        syncInterval = .milliseconds(Int64(settings.memorySyncInterval * 1000))
        batchSize = settings.memoryBatchSize
    }

    private mutating func bufferBursts() {
        bus.highWaterMark = max(bus.highWaterMark, Int32(Self.receiveBuffer))
        bus.subscriptionBuffer = max(bus.subscriptionBuffer, Self.receiveBuffer)
    }
}
