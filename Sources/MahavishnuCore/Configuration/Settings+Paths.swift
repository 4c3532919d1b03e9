import Foundation

extension Settings {
    /// `memory_database_path` with a leading `~` replaced by the home directory.
    public var memoryDatabaseFile: String {
        guard memoryDatabasePath == "~" || memoryDatabasePath.hasPrefix("~/") else { return memoryDatabasePath }
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        return home + memoryDatabasePath.dropFirst()
    }
}
