import Foundation

/// A process's resident memory, from `/proc/PID/status`.
struct ResidentMemory: Codable {
    /// `VmRSS`: every resident page, shared library pages included.
    let bytes: Int
    /// `RssAnon`: the resident pages private to the process (heap, stacks).
    let anonymousBytes: Int
    /// `RssFile`: resident pages mapped from files: the executable's and shared libraries', pages
    /// other processes running them share.
    let fileBytes: Int
    /// `VmHWM`: the most resident memory the process has had since it started.
    let peakBytes: Int

    /// Reads process `pid`'s figures.
    init(of pid: pid_t) throws {
        let path = "/proc/\(pid)/status"
        guard let status = try? String(contentsOfFile: path, encoding: .utf8) else { throw BenchError("cannot read \(path): has the process exited?") }
        func kilobytes(_ field: String) throws -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
                  let value = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
                throw BenchError("\(path) has no \(field) line")
            }
            return value * 1024
        }
        bytes = try kilobytes("VmRSS")
        anonymousBytes = try kilobytes("RssAnon")
        fileBytes = try kilobytes("RssFile")
        peakBytes = try kilobytes("VmHWM")
    }
}
