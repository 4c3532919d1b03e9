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
        return migrator
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
