import Foundation
import GRDB
import MahavishnuCore

/// The memory database: every finished task's result, once, in SQLite with an FTS5 index over
/// prompts and outputs.
///
/// Safe from any thread and task; writes are serialized, reads run beside them (WAL, with
/// `synchronous = NORMAL`: a committed write survives the process being killed; a power cut may
/// lose the last writes since a checkpoint).
public final class MemoryStore: Sendable {
    /// The database file.
    public let path: String
    private let database: DatabasePool

    /// Opens the database at `path`, creating it (and its directory) when `create` is true.
    ///
    /// Throws `MemoryStoreError.noDatabase` when the file does not exist and `create` is false.
    public init(path: String, create: Bool = true) throws {
        self.path = path
        if !FileManager.default.fileExists(atPath: path) {
            guard create else { throw MemoryStoreError.noDatabase(path) }
            try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        database = try DatabasePool(path: path, configuration: configuration)
        try MemorySchema.migrator.migrate(database)
    }

    /// Stores `events`, skipping task ids already stored, and records `losses` as missing, in one
    /// transaction (one sync); returns how many results were new.
    ///
    /// A lost task id already stored, or already recorded, is not counted again; a task recorded
    /// missing whose result is stored later (a retry with the same id) is missing no more.
    @discardableResult
    public func store(_ events: [TaskCompletedEvent], losses: MemoryLosses = MemoryLosses()) async throws -> Int {
        let storedAt = Date().timeIntervalSince1970
        return try await database.write { db in
            let indexedUpTo = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM memory_record") ?? 0
            let insert = try db.cachedStatement(sql: """
                INSERT INTO memory_record (task_id, pool_id, pool_name, worker_id, prompt, output, status, error, duration, started_at, completed_at, stored_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(task_id) DO NOTHING
                """)
            var inserted = 0
            for event in events {
                try insert.execute(arguments: [
                    event.taskID, event.poolID, event.poolName, event.workerID, event.prompt, event.output,
                    event.status.rawValue, event.error, event.duration, event.startedAt, event.completedAt, storedAt,
                ])
                inserted += db.changesCount
            }
            // The new rows' ids are above `indexedUpTo` (AUTOINCREMENT never reuses one). FTS5
            // indexes them in one statement far faster than row by row: about 2 µs a row, where
            // an insert trigger cost about 20.
            try db.execute(sql: """
                INSERT INTO memory_record_fts (rowid, prompt, output)
                SELECT id, prompt, output FROM memory_record WHERE id > ?
                """, arguments: [indexedUpTo])
            let found = inserted > 0 ? try MemorySchema.forgetMissing(storedAbove: indexedUpTo, db) : 0
            let lost = try MemorySchema.record(losses, at: storedAt, db)
            try MemorySchema.add(MemoryCounters(duplicatesIgnored: events.count - inserted, eventsMissed: lost - found, syncs: 1), db)
            return inserted
        }
    }

    /// The `limit` results stored last (newest first), or with `query` the newest that match
    /// every word of it: the dashboard's recent tasks. Prompt and output are cut at 200 characters.
    public func recent(matching query: String? = nil, limit: Int = 50) async throws -> [RecentTask] {
        guard limit >= 1 else { throw MemoryStoreError.invalidLimit(limit) }
        let pattern = try query.map { query throws in
            guard let pattern = FTS5Pattern(matchingAllTokensIn: query) else { throw MemoryStoreError.emptyQuery(query) }
            return pattern
        }
        return try await database.read { db in
            var sql = "SELECT task_id, pool_name, status, substr(prompt, 1, 200) AS prompt, substr(output, 1, 200) AS output, duration, completed_at FROM memory_record"
            var arguments: StatementArguments = []
            if let pattern {
                sql += " WHERE id IN (SELECT rowid FROM memory_record_fts WHERE memory_record_fts MATCH ?)"
                arguments += [pattern]
            }
            sql += " ORDER BY completed_at DESC LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                RecentTask(taskID: row["task_id"], poolName: row["pool_name"], status: TaskStatus(rawValue: row["status"]) ?? .failed,
                           prompt: row["prompt"], output: row["output"], duration: row["duration"], completedAt: row["completed_at"])
            }
        }
    }

    /// Up to `limit` stored results matching every word of `query`, best first, from every pool or
    /// only `pool` (an id or name).
    ///
    /// Words are matched after stemming (`implementing` finds `implementation`); punctuation
    /// and FTS5 operators in `query` are taken as plain text. Throws `MemoryStoreError.emptyQuery`
    /// for a query with no words and `.invalidLimit` for a limit below 1.
    public func search(_ query: String, pool: String? = nil, limit: Int = 10) async throws -> [MemoryMatch] {
        guard limit >= 1 else { throw MemoryStoreError.invalidLimit(limit) }
        guard let pattern = FTS5Pattern(matchingAllTokensIn: query) else { throw MemoryStoreError.emptyQuery(query) }
        return try await database.read { db in
            var sql = """
                SELECT r.task_id, r.pool_id, r.pool_name, r.worker_id, r.status, r.prompt, r.output, r.completed_at,
                       snippet(memory_record_fts, -1, '[', ']', '…', 12) AS snippet, -bm25(memory_record_fts) AS score
                FROM memory_record_fts JOIN memory_record r ON r.id = memory_record_fts.rowid
                WHERE memory_record_fts MATCH ?
                """
            var arguments: StatementArguments = [pattern]
            if let pool {
                sql += " AND (r.pool_id = ? OR r.pool_name = ?)"
                arguments += [pool, pool]
            }
            sql += " ORDER BY bm25(memory_record_fts) LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                MemoryMatch(
                    taskID: row["task_id"], poolID: row["pool_id"], poolName: row["pool_name"], workerID: row["worker_id"],
                    status: TaskStatus(rawValue: row["status"]) ?? .failed, prompt: row["prompt"], output: row["output"],
                    snippet: row["snippet"], score: row["score"], completedAt: row["completed_at"]
                )
            }
        }
    }

    /// Stored results per pool, what the store lacks per pool, and the aggregator's running totals.
    public func stats() async throws -> MemoryStats {
        try await database.read { db in
            let pools = try Row.fetchAll(db, sql: """
                SELECT pool_id, pool_name, COUNT(*) AS records, MAX(completed_at) AS last_completed_at
                FROM memory_record GROUP BY pool_id, pool_name ORDER BY pool_name, pool_id
                """).map { row in
                MemoryStats.Pool(poolID: row["pool_id"], poolName: row["pool_name"], records: row["records"], lastCompletedAt: row["last_completed_at"])
            }
            let counters = try MemorySchema.counters(db)
            return MemoryStats(
                records: pools.reduce(0) { $0 + $1.records }, pools: pools, missing: try MemorySchema.missing(db),
                duplicatesIgnored: counters.duplicatesIgnored, eventsMissed: counters.eventsMissed, syncs: counters.syncs
            )
        }
    }
}

/// Running totals the store keeps in the database beside the results, so `memory stats`
/// shows them from any process.
struct MemoryCounters: Sendable, Equatable {
    /// Events for task ids already stored.
    var duplicatesIgnored = 0
    /// Results missing from the store (every `MemoryLossReason`).
    var eventsMissed = 0
    /// Write transactions committed.
    var syncs = 0

    init(duplicatesIgnored: Int = 0, eventsMissed: Int = 0, syncs: Int = 0) {
        self.duplicatesIgnored = duplicatesIgnored
        self.eventsMissed = eventsMissed
        self.syncs = syncs
    }
}

/// Why the memory store could not answer.
public enum MemoryStoreError: Error, CustomStringConvertible, Equatable, Sendable {
    /// There is no database file at the path.
    case noDatabase(String)
    /// The query has no words to search for.
    case emptyQuery(String)
    /// The result limit is below 1.
    case invalidLimit(Int)

    public var description: String {
        switch self {
        case .noDatabase(let path):
            "no memory database at \(path); a broker with memory_aggregation_enabled: true creates it there (memory_database_path)"
        case .emptyQuery(let query): "the query '\(query)' has no words to search for"
        case .invalidLimit(let limit): "the limit must be at least 1 (got \(limit))"
        }
    }
}
