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

    public init() {}
}
