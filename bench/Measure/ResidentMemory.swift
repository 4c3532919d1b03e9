import Foundation

/// A process's resident memory, read from `VmRSS` in `/proc/PID/status`.
enum ResidentMemory {
    /// Resident bytes of process `pid`.
    static func bytes(of pid: pid_t) throws -> Int {
        let path = "/proc/\(pid)/status"
        guard let status = try? String(contentsOfFile: path, encoding: .utf8) else { throw BenchError("cannot read \(path): has the process exited?") }
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
            throw BenchError("\(path) has no VmRSS line")
        }
        return kilobytes * 1024
    }
}
