import ArgumentParser

/// `--journal-mode` and `--journal`: the broker's write-ahead journal, for `broker` and `up`.
struct JournalOptions: ParsableArguments {
    @Option(help: "What the journal survives: off, crash or fsync (default: journal_mode, crash).")
    var journalMode: String?

    @Option(help: "The journal file (default: journal_path, else journal-HOST-PORT of the frontend in ~/.local/state/mahavishnu).")
    var journal: String?

    /// The options given, by settings key, for `SettingsOptions.load(flags:)`.
    var settingsFlags: [String: String] {
        ["journal_mode": journalMode, "journal_path": journal].compactMapValues { $0 }
    }
}
