import Foundation

extension Settings {
    /// `memory_database_path` with a leading `~` replaced by the home directory.
    public var memoryDatabaseFile: String { Self.expandingHome(memoryDatabasePath) }

    /// `journal_path` with a leading `~` replaced by the home directory; `nil` when unset.
    public var journalFile: String? { journalPath.map(Self.expandingHome) }

    /// Where brokers keep their journals by default: `$XDG_STATE_HOME/mahavishnu`, or
    /// `~/.local/state/mahavishnu` without it.
    public static var stateDirectory: String {
        let environment = ProcessInfo.processInfo.environment
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") { return state + "/mahavishnu" }
        return expandingHome("~/.local/state/mahavishnu")
    }

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
    /// As `crash`, and synced to the disk (one `fdatasync` for every batch of changes) before
    /// anyone hears of them: survives the machine losing power.
    case fsync
}
