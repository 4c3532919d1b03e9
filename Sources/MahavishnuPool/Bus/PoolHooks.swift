import MahavishnuCore

/// What a pool process does beyond the broker protocol, when it is connected to the bus:
/// report each finished task, and hand tasks that name `delegate_to` to another pool.
public struct PoolHooks: Sendable {
    /// Called on the pool's thread after each result is sent to the broker; keep it quick (hand
    /// the event to another thread, as `MessageBus.publish` does). Default: nothing.
    public var taskFinished: @Sendable (TaskCompletedEvent) -> Void = { _ in }
    /// Runs tasks that name `delegate_to` on that pool. Default `nil`: such tasks fail, saying the
    /// pool is not connected to the bus.
    public var delegation: (any TaskDelegating)?

    public init() {}
}
