import MahavishnuCore

/// Everything the broker needs to start.
public struct BrokerConfiguration: Sendable {
    /// Where producers connect (ROUTER). Default `tcp://127.0.0.1:5555`; `:*` lets the OS pick a port.
    public var frontend = "tcp://127.0.0.1:5555"
    /// Where pools connect (ROUTER). Default `tcp://127.0.0.1:5556`.
    public var backend = "tcp://127.0.0.1:5556"
    /// Most tasks that may wait for a pool at once; past it producers get `overloaded`. Default 10,000.
    public var queueBound = 10_000
    /// Selector for tasks whose selector frame is empty. Default `least_loaded`.
    public var defaultSelector = PoolSelector.leastLoaded
    /// Per-peer high-water mark of both sockets, in messages. Default 100,000.
    public var highWaterMark: Int32 = 100_000
    /// The `mahavishnu` executable the broker starts pools with; `nil` disables `spawn`. Default `nil`.
    public var poolExecutable: String?
    /// The settings file passed on to spawned pools. Default `nil`.
    public var settingsFile: String?
    /// Pools to start as soon as the broker runs (a topology's `pools:`). Default none.
    public var initialPools: [PoolSpawnRequest] = []
    /// Seconds a spawned pool has to register before the spawn fails. Default 30.
    public var spawnTimeout = 30.0
    /// Seconds a stopping broker waits for in-flight tasks and child pools before killing them. Default 30.
    public var drainTimeout = 30.0
    /// More arguments for every pool process the broker starts (the bus endpoints, say). Default none.
    public var poolArguments: [String] = []
    /// Called on the router thread when pools come and go; keep it quick. Default: nothing.
    public var onEvent: @Sendable (BrokerEvent) -> Void = { _ in }

    public init() {}
}

/// Something that happened to the deployment, reported through `BrokerConfiguration.onEvent`.
public enum BrokerEvent: Sendable {
    /// A pool registered (or registered again).
    case poolRegistered(PoolSummary)
    /// A pool left: drained, closed, died or could not be reached.
    case poolRemoved(poolID: String, name: String, reason: String)
    /// A pool the broker started could not start.
    case spawnFailed(name: String, reason: String)
    /// The broker stopped taking work and is waiting for in-flight tasks and child pools.
    case draining
}
