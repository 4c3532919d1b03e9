import Foundation
import GRDB

/// The SQLite file of workflow records (`workflow_database`).
struct WorkflowStore: Sendable {
    private let database: DatabaseQueue

    /// Opens (creating it and its directory if needed) the database at `path`.
    init(path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
            database = try DatabaseQueue(path: path)
            var migrator = DatabaseMigrator()
            migrator.registerMigration("create workflow") { db in
                try db.create(table: WorkflowRecord.databaseTableName) { table in
                    table.primaryKey("id", .text)
                    table.column("status", .text).notNull().indexed()
                    table.column("task_json", .text).notNull()
                    table.column("selector", .text).notNull()
                    table.column("affinity", .text)
                    table.column("timeout_seconds", .integer).notNull()
                    table.column("result_json", .text)
                    table.column("error", .text)
                    table.column("created_at", .double).notNull()
                    table.column("updated_at", .double).notNull()
                }
            }
            migrator.registerMigration("add schedule") { db in
                try db.alter(table: WorkflowRecord.databaseTableName) { table in
                    table.add(column: "priority", .integer)
                    table.add(column: "eta", .double)
                    table.add(column: "expires_at", .double)
                }
            }
            try migrator.migrate(database)
        } catch {
            throw WorkflowStoreError(description: "cannot open the workflow database \(path): \(error)")
        }
    }

    /// The default file: `$XDG_STATE_HOME/mahavishnu/workflows.sqlite`, else under `~/.local/state`.
    static func defaultPath(environment: [String: String]) -> String {
        let state = environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/state").path
        return URL(fileURLWithPath: state).appendingPathComponent("mahavishnu/workflows.sqlite").path
    }

    /// Stores a new workflow; returns the stored one if the id exists already.
    func insertIfNew(_ record: WorkflowRecord) async throws -> WorkflowRecord {
        try await database.write { db in
            if let existing = try WorkflowRecord.fetchOne(db, key: record.id) { return existing }
            try record.insert(db)
            return record
        }
    }

    func fetch(_ id: String) async throws -> WorkflowRecord? {
        try await database.read { db in try WorkflowRecord.fetchOne(db, key: id) }
    }

    /// Workflows without a final state, oldest first.
    func unfinished() async throws -> [WorkflowRecord] {
        try await database.read { db in
            try WorkflowRecord
                .filter([WorkflowRecord.Status.queued.rawValue, WorkflowRecord.Status.running.rawValue].contains(WorkflowRecord.CodingKeys.status))
                .order(WorkflowRecord.CodingKeys.createdAt)
                .fetchAll(db)
        }
    }

    /// Saves a workflow's new state.
    func save(_ record: WorkflowRecord) async throws {
        var record = record
        record.updatedAt = Date().timeIntervalSince1970
        try await database.write { [record] db in try record.update(db) }
    }
}

/// The workflow database cannot be used; the message names the file.
struct WorkflowStoreError: Error, CustomStringConvertible {
    let description: String
}
