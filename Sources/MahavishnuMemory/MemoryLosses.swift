/// Why the memory store lacks a finished task's result.
public enum MemoryLossReason: String, Codable, Sendable, CaseIterable {
    /// Lost on the message bus between the pool and the store: a full buffer on the way (the
    /// pool's outbox, a socket's high-water mark, the store's subscription). Counted from the gaps
    /// in the pool's sequence numbers when its next result arrives; the task ids are unknown.
    case bus
    /// Received, but more results were waiting to be written than the aggregator holds
    /// (`MemoryAggregatorConfiguration.maxPending`): the database was too slow or could not be
    /// written. The task ids are recorded.
    case storeBehind = "store_behind"
    /// A `task_completed` whose payload could not be read; its task id is unknown.
    case unreadable
}

/// Results the memory store lacks, counted per pool and reason, with the task ids where known.
public struct MemoryLosses: Sendable, Equatable {
    /// A pool and why its results were lost.
    public struct Key: Hashable, Sendable {
        public var poolID: String
        public var reason: MemoryLossReason
    }

    /// One lost result whose task id is known.
    public struct LostTask: Sendable, Equatable {
        public var taskID: String
        public var poolID: String
        public var reason: MemoryLossReason
    }

    /// Losses whose task ids are unknown, by pool and reason.
    public private(set) var counts: [Key: Int] = [:]
    /// Losses whose task ids are known, in the order they happened.
    public private(set) var tasks: [LostTask] = []

    public init() {}

    /// Whether nothing was lost.
    public var isEmpty: Bool { counts.isEmpty && tasks.isEmpty }

    /// Records `count` lost results of pool `poolID` whose task ids are unknown.
    public mutating func count(_ count: Int, from poolID: String, reason: MemoryLossReason) {
        guard count > 0 else { return }
        counts[Key(poolID: poolID, reason: reason), default: 0] += count
    }

    /// Records the lost result of task `taskID` from pool `poolID`.
    public mutating func add(taskID: String, poolID: String, reason: MemoryLossReason) {
        tasks.append(LostTask(taskID: taskID, poolID: poolID, reason: reason))
    }

    /// Adds everything `other` records.
    public mutating func merge(_ other: MemoryLosses) {
        counts.merge(other.counts, uniquingKeysWith: +)
        tasks += other.tasks
    }
}
