import GRDB

/// The memory database's tables, and the aggregator's counters kept in them.
enum MemorySchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: results with an FTS5 index, aggregator counters") { db in
            try db.create(table: "memory_record") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("task_id", .text).notNull().unique()
                table.column("pool_id", .text).notNull().indexed()
                table.column("pool_name", .text).notNull()
                table.column("worker_id", .text).notNull()
                table.column("prompt", .text).notNull()
                table.column("output", .text).notNull()
                table.column("status", .text).notNull()
                table.column("error", .text)
                table.column("duration", .double).notNull()
                table.column("started_at", .double).notNull()
                table.column("completed_at", .double).notNull()
                table.column("stored_at", .double).notNull()
            }
            try db.create(virtualTable: "memory_record_fts", using: FTS5()) { table in
                table.synchronize(withTable: "memory_record")
                table.tokenizer = .porter(wrapping: .unicode61())
                table.column("prompt")
                table.column("output")
            }
            try db.create(table: "aggregator_counter") { table in
                table.primaryKey("name", .text)
                table.column("value", .integer).notNull()
            }
        }
        migrator.registerMigration("v2: the store indexes each batch of new results itself") { db in
            // `MemoryStore.store` indexes a batch in one statement; the row-by-row insert trigger
            // that `synchronize(withTable:)` made cost ten times as much. Deletes and updates keep theirs.
            try db.execute(sql: "DROP TRIGGER IF EXISTS __memory_record_fts_ai")
        }
        migrator.registerMigration("v3: what the store lacks, per pool and reason, with the task ids where known") { db in
            try db.create(table: "memory_loss") { table in
                table.column("pool_id", .text).notNull()
                table.column("reason", .text).notNull()
                table.column("count", .integer).notNull()
                table.primaryKey(["pool_id", "reason"])
            }
            try db.create(table: "memory_missing_task") { table in
                table.primaryKey("task_id", .text)
                table.column("pool_id", .text).notNull()
                table.column("reason", .text).notNull()
                table.column("noticed_at", .double).notNull()
            }
        }
        return migrator
    }

    /// Records `losses` as missing, a known task id only when it is neither stored nor recorded
    /// already; returns how many results were newly counted missing.
    static func record(_ losses: MemoryLosses, at noticedAt: Double, _ db: Database) throws -> Int {
        guard !losses.isEmpty else { return 0 }
        var counts = losses.counts
        let insertTask = try db.cachedStatement(sql: """
            INSERT INTO memory_missing_task (task_id, pool_id, reason, noticed_at)
            SELECT ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM memory_record WHERE task_id = ?)
            ON CONFLICT(task_id) DO NOTHING
            """)
        for task in losses.tasks {
            try insertTask.execute(arguments: [task.taskID, task.poolID, task.reason.rawValue, noticedAt, task.taskID])
            if db.changesCount > 0 { counts[MemoryLosses.Key(poolID: task.poolID, reason: task.reason), default: 0] += 1 }
        }
        let addCount = try db.cachedStatement(sql: """
            INSERT INTO memory_loss (pool_id, reason, count) VALUES (?, ?, ?)
            ON CONFLICT(pool_id, reason) DO UPDATE SET count = count + excluded.count
            """)
        for (key, count) in counts { try addCount.execute(arguments: [key.poolID, key.reason.rawValue, count]) }
        return counts.values.reduce(0, +)
    }

    /// Takes the tasks stored with row ids above `rowID` off the missing list; returns how many were on it.
    static func forgetMissing(storedAbove rowID: Int64, _ db: Database) throws -> Int {
        guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM memory_missing_task)") == true else { return 0 }
        let found = try Row.fetchAll(db, sql: """
            DELETE FROM memory_missing_task WHERE task_id IN (SELECT task_id FROM memory_record WHERE id > ?)
            RETURNING pool_id, reason
            """, arguments: [rowID])
        let lower = try db.cachedStatement(sql: "UPDATE memory_loss SET count = count - 1 WHERE pool_id = ? AND reason = ?")
        for row in found { try lower.execute(arguments: [row["pool_id"] as String, row["reason"] as String]) }
        return found.count
    }

    /// What the store lacks, per pool and reason, each with up to `listedIDs` of its task ids.
    static func missing(listedIDs: Int = 100, _ db: Database) throws -> [MemoryStats.Missing] {
        try Row.fetchAll(db, sql: """
            SELECT l.pool_id, l.reason, l.count, (SELECT pool_name FROM memory_record WHERE pool_id = l.pool_id LIMIT 1) AS pool_name
            FROM memory_loss l WHERE l.count > 0 ORDER BY l.pool_id, l.reason
            """).map { row in
            let reason = MemoryLossReason(rawValue: row["reason"]) ?? .bus
            let taskIDs = try String.fetchAll(db, sql: """
                SELECT task_id FROM memory_missing_task WHERE pool_id = ? AND reason = ? ORDER BY noticed_at, task_id LIMIT ?
                """, arguments: [row["pool_id"] as String, reason.rawValue, listedIDs])
            return MemoryStats.Missing(poolID: row["pool_id"], poolName: row["pool_name"], reason: reason, count: row["count"], taskIDs: taskIDs)
        }
    }

    /// Adds `counters` to the stored totals.
    static func add(_ counters: MemoryCounters, _ db: Database) throws {
        let upsert = try db.cachedStatement(sql: """
            INSERT INTO aggregator_counter (name, value) VALUES (?, ?)
            ON CONFLICT(name) DO UPDATE SET value = value + excluded.value
            """)
        for (name, value) in [("duplicates_ignored", counters.duplicatesIgnored), ("events_missed", counters.eventsMissed), ("syncs", counters.syncs)] where value != 0 {
            try upsert.execute(arguments: [name, value])
        }
    }

    /// The stored totals.
    static func counters(_ db: Database) throws -> MemoryCounters {
        let values = try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT name, value FROM aggregator_counter").map { row -> (String, Int) in (row["name"], row["value"]) })
        return MemoryCounters(duplicatesIgnored: values["duplicates_ignored"] ?? 0, eventsMissed: values["events_missed"] ?? 0, syncs: values["syncs"] ?? 0)
    }
}
