import Foundation

/// `journal`: `route least_loaded` through a broker with `journal_mode: off` and one with
/// `crash` (every task journaled before it is dispatched and before its result is sent), in the
/// same run, so the ratio is what the journal costs.
extension BenchSession {
    func runJournal() throws {
        let directory = logDirectory.deletingLastPathComponent()
        let journal = directory.appendingPathComponent("journal")
        for suffix in ["", ".lock"] { try? FileManager.default.removeItem(atPath: journal.path + suffix) }
        let settings = directory.appendingPathComponent("journal-crash.yaml")
        try "journal_mode: crash\njournal_path: \(journal.path)\n".write(to: settings, atomically: true, encoding: .utf8)
        for (mode, arguments) in [("off", []), ("crash", ["--settings", settings.path])] {
            try withRouteFleet(memoryDatabase: nil, brokerArguments: arguments) { broker, _, fleet in
                try measure(
                    "journal/\(mode)", scenario: .journal, label: "route least_loaded, journal \(mode)",
                    setup: "\(fleet), journal_mode: \(mode)" + (mode == "crash" ? " (\(journal.path))" : ""),
                    pools: plan.backends, slots: plan.backends * plan.workersPerPool,
                    exchange: .task(selector: .leastLoaded), endpoint: broker.frontend
                )
            }
        }
    }
}
