/// The seven kinds of message on the inter-pool bus (the migration guide's message types).
///
/// `docs/protocol.md` lists who publishes each one and its payload.
public enum BusMessageType: String, Codable, Sendable, CaseIterable {
    /// A pool asks another pool to run a task for it (targeted at the pool that should run it).
    case taskDelegate = "task_delegate"
    /// The answer to a `task_delegate`: the delegated task's result (targeted at the asker).
    case resultShare = "result_share"
    /// Something changed: a spawn failed, the broker is draining, or a publisher's note.
    case statusUpdate = "status_update"
    /// A liveness signal; a bus also sends heartbeats to itself to learn that its subscriptions work.
    case heartbeat
    /// A pool registered with the broker.
    case poolCreated = "pool_created"
    /// A pool left the broker.
    case poolClosed = "pool_closed"
    /// A pool finished a task (with its prompt and output, for the memory store).
    case taskCompleted = "task_completed"
}
