import Foundation
import MahavishnuCore

/// One task result that matched a memory search, best first.
public struct MemoryMatch: Codable, Sendable, Equatable {
    /// The task, as its producer named it.
    public var taskID: String
    /// The pool that ran it, by id and by name.
    public var poolID: String
    public var poolName: String
    /// The worker slot that ran it.
    public var workerID: String
    public var status: TaskStatus
    /// The task's prompt and what the worker produced, in full.
    public var prompt: String
    public var output: String
    /// The best-matching passage, with the matched words in `[` `]`.
    public var snippet: String
    /// How well it matched (BM25, higher is better).
    public var score: Double
    /// When the pool finished it, in seconds since 1970.
    public var completedAt: Double

    enum CodingKeys: String, CodingKey {
        case taskID = "task_id", poolID = "pool_id", poolName = "pool_name", workerID = "worker_id"
        case status, prompt, output, snippet, score, completedAt = "completed_at"
    }
}

/// A stored result as the dashboard lists it: prompt and output cut short.
public struct RecentTask: Codable, Sendable, Equatable {
    public var taskID: String
    public var poolName: String
    public var status: TaskStatus
    public var prompt: String
    public var output: String
    /// Seconds the pool took.
    public var duration: Double
    /// When the pool finished it, in seconds since 1970.
    public var completedAt: Double

    enum CodingKeys: String, CodingKey {
        case taskID = "task_id", poolName = "pool_name", status, prompt, output, duration, completedAt = "completed_at"
    }
}

/// What the memory store holds: results per pool, and how the aggregator that fills it has fared.
public struct MemoryStats: Codable, Sendable, Equatable {
    /// Stored results per pool.
    public struct Pool: Codable, Sendable, Equatable {
        public var poolID: String
        public var poolName: String
        public var records: Int
        /// When the pool's latest stored result was finished, in seconds since 1970.
        public var lastCompletedAt: Double

        enum CodingKeys: String, CodingKey {
            case poolID = "pool_id", poolName = "pool_name", records, lastCompletedAt = "last_completed_at"
        }
    }

    /// Results of one pool the store lacks, for one reason.
    public struct Missing: Codable, Sendable, Equatable {
        public var poolID: String
        /// The pool's name, when the store holds any of its results.
        public var poolName: String?
        public var reason: MemoryLossReason
        /// Results missing.
        public var count: Int
        /// Their task ids where known (`store_behind`), the first 100 at most; `bus` and
        /// `unreadable` losses have none.
        public var taskIDs: [String]

        public init(poolID: String, poolName: String?, reason: MemoryLossReason, count: Int, taskIDs: [String]) {
            self.poolID = poolID
            self.poolName = poolName
            self.reason = reason
            self.count = count
            self.taskIDs = taskIDs
        }

        enum CodingKeys: String, CodingKey {
            case poolID = "pool_id", poolName = "pool_name", reason, count, taskIDs = "task_ids"
        }
    }

    /// Stored results in all.
    public var records: Int
    public var pools: [Pool]
    /// What the store lacks, per pool and reason; empty when every result reached it.
    public var missing: [Missing]
    /// `task_completed` events received that were already stored (the same task id), and ignored.
    public var duplicatesIgnored: Int
    /// Results missing from the store in all: the sum of `missing`'s counts (and, in a database
    /// from before they were kept per pool, the bus losses counted then).
    public var eventsMissed: Int
    /// Writes committed, each storing whatever had arrived since the one before.
    public var syncs: Int

    enum CodingKeys: String, CodingKey {
        case records, pools, missing, duplicatesIgnored = "duplicates_ignored", eventsMissed = "events_missed", syncs
    }
}
