import Foundation

/// The CPU time a process has used, user and system, from `/proc/PID/stat`: steadier than a
/// wall-clock rate on a busy machine, since time spent waiting for a core is not counted.
enum ProcessCPUTime {
    /// Seconds of CPU process `pid` has used so far (at the kernel's clock-tick resolution).
    static func seconds(of pid: pid_t) throws -> Double {
        let path = "/proc/\(pid)/stat"
        guard let stat = try? String(contentsOfFile: path, encoding: .utf8), let end = stat.lastIndex(of: ")") else {
            throw BenchError("cannot read \(path): has the process exited?")
        }
        // After the command's closing parenthesis: state is field 3, utime field 14, stime field 15.
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { throw BenchError("\(path) has no utime and stime") }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
