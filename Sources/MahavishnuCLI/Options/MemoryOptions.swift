import ArgumentParser
import Mahavishnu
import MahavishnuMemory
import MahavishnuCommandCore

/// Options of the `memory` commands: which database, and how to print.
struct MemoryOptions: ParsableArguments {
    @Option(help: "The memory database file (default: memory_database_path from settings).")
    var database: String?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @OptionGroup var settingsOptions: SettingsOptions

    /// Opens the existing memory database.
    func store() throws -> MemoryStore {
        let settings = try settingsOptions.load(flags: ["memory_database_path": database].compactMapValues { $0 })
        do {
            return try MemoryStore(path: settings.memoryDatabaseFile, create: false)
        } catch let error as MemoryStoreError {
            throw CLIError(error.description, code: "memory_unavailable")
        }
    }
}
