import Foundation
import MahavishnuCore

/// What the pool measures about itself for its heartbeats: counts, and the duration of the
/// most recent tasks (a fixed window, so memory stays flat however long the pool runs).
struct PoolVitalsRecorder {
    private var completed = 0
    private var failed = 0
    private var durations = [Double](repeating: 0, count: 1024)
    private var recorded = 0

    mutating func record(_ status: TaskStatus, seconds: Double) {
        if status == .completed { completed += 1 } else { failed += 1 }
        durations[recorded % durations.count] = seconds
        recorded += 1
    }

    func vitals(activeWorkers: Int, totalWorkers: Int) -> PoolVitals {
        let window = durations.prefix(min(recorded, durations.count)).sorted()
        let average = window.isEmpty ? 0 : window.reduce(0, +) / Double(window.count)
        let p99 = window.isEmpty ? 0 : window[min(window.count - 1, Int(Double(window.count) * 0.99))]
        return PoolVitals(
            activeWorkers: activeWorkers, totalWorkers: totalWorkers, tasksCompleted: completed, tasksFailed: failed,
            averageDurationMs: average * 1000, p99DurationMs: p99 * 1000, residentMemoryMB: Self.residentMemoryMB()
        )
    }

    /// This process's resident set size in MB, from /proc/self/statm.
    static func residentMemoryMB() -> Double {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
              let pages = statm.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) else { return 0 }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
    }
}
