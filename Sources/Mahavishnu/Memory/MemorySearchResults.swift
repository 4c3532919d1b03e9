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

    /// Stored results in all.
    public var records: Int
    public var pools: [Pool]
    /// `task_completed` events received that were already stored (the same task id), and ignored.
    public var duplicatesIgnored: Int
    /// Events the aggregator's bus missed or dropped (sequence gaps, a full buffer): results not stored.
    public var eventsMissed: Int
    /// Periodic syncs done, each writing whatever had arrived since the one before (possibly nothing).
    public var syncs: Int

    enum CodingKeys: String, CodingKey {
        case records, pools, duplicatesIgnored = "duplicates_ignored", eventsMissed = "events_missed", syncs
    }
}
