import Foundation

/// A fresh path in the temporary directory (nothing is created there).
func temporaryPath(_ prefix: String, suffix: String = "") -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)\(suffix)").path
}

/// Writes `text` to a fresh temporary file and returns its path (settings files, worker scripts).
func temporaryFile(_ prefix: String, suffix: String, _ text: String) throws -> String {
    let path = temporaryPath(prefix, suffix: suffix)
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// Whether the process `pid` is gone completely: exited and reaped by its parent (not even a zombie).
func processReaped(_ pid: Int32) -> Bool {
    kill(pid, 0) == -1 && errno == ESRCH
}

/// The pids written to `path`, one a line (by the test programs the workers run).
func pids(in path: String) throws -> [Int32] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").compactMap { Int32($0) }
}
