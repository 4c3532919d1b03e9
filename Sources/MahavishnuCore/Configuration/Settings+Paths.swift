import Foundation

extension Settings {
    /// `memory_database_path` with a leading `~` replaced by the home directory.
    public var memoryDatabaseFile: String { Self.expandingHome(memoryDatabasePath) }

    /// The journal file the broker writes, or `nil` with `journal_mode: off`.
    public var journalFile: String? { journalMode == .off ? nil : Self.expandingHome(journalPath) }

    private static func expandingHome(_ path: String) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        return home + path.dropFirst()
    }
}

/// What the broker's journal survives (`journal_mode`).
public enum JournalMode: String, Sendable, CaseIterable {
    /// No journal: queued tasks and results live in the broker's memory only.
    case off
    /// Written before anyone hears of a change, without fsync: survives the broker process
    /// dying (SIGKILL, a crash, the OOM killer), not the machine losing power.
    case crash
}
