import Foundation

/// Progress lines on stderr, each stamped with the seconds since the run began.
struct Progress {
    private let started = MonotonicClock.nanoseconds()

    /// Seconds since the run began.
    var elapsedSeconds: Double { Double(MonotonicClock.nanoseconds() - started) / 1e9 }

    func say(_ message: String) {
        FileHandle.standardError.write(Data((String(format: "[%6.1fs] ", elapsedSeconds) + message + "\n").utf8))
    }
}
