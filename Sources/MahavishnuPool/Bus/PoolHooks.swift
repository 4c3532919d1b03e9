import MahavishnuCore

/// What a pool process does beyond the broker protocol, when it is connected to the bus:
/// report each finished task, and hand tasks that name `delegate_to` to another pool.
public struct PoolHooks: Sendable {
    /// Given the finished tasks' events on the pool's thread, a batch at a time, after their
    /// results went to the broker; keep it quick (hand them to another thread, as
    /// `MessageBus.publish` does). Default `nil`: no events are made.
    public var tasksFinished: (@Sendable ([TaskCompletedEvent]) -> Void)?
    /// Runs tasks that name `delegate_to` on that pool. Default `nil`: such tasks fail, saying the
    /// pool is not connected to the bus.
    public var delegation: (any TaskDelegating)?

    public init() {}
}
