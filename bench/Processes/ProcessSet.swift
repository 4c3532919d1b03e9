import Foundation
import Synchronization

/// The child processes one scenario starts: this binary re-executed in its hidden roles, and
/// `mahavishnu` and `mahavishnu-pool` from the same build directory (or a baseline's).
///
/// Every child is stopped by its pid in `stopAll()`, newest first, so pools leave before the
/// broker they drain to. Scenarios call it in a `defer`, so errors stop them too.
final class ProcessSet {
    private let executable: String
    /// `mahavishnu` and `mahavishnu-pool` next to this binary: the build being measured.
    let ownBuild: MahavishnuBuild
    /// `mahavishnu-cfloor` next to this binary: the C load generator, broker and workers.
    let floorExecutable: String
    private let logDirectory: URL
    private var children: [BenchChild] = []
    /// Numbers the log files of every child this run starts.
    private static let started = Atomic<Int>(0)

    init(logDirectory: URL) throws {
        self.logDirectory = logDirectory
        executable = try Self.ownExecutable()
        let directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        ownBuild = try MahavishnuBuild(name: "this build", in: directory) { program in
            "no \(program) in \(directory.path); build it next to the bench with `swift build -c release --product \(program)`"
        }
        floorExecutable = directory.appendingPathComponent("mahavishnu-cfloor").path
        guard FileManager.default.isExecutableFile(atPath: floorExecutable) else {
            throw BenchError("no mahavishnu-cfloor in \(directory.path); build it next to the bench with `swift build -c release --product mahavishnu-bench`")
        }
    }

    /// Starts this binary as `role` with `arguments` and waits for its ready line; returns the child and the line's fields.
    @discardableResult
    func start(_ name: String, role: String, _ arguments: [String], ready prefix: String, within timeout: Duration = .seconds(120)) throws -> (child: BenchChild, fields: [String: String]) {
        try start(name, executable: executable, [role] + arguments, ready: prefix, within: timeout)
    }

    /// Starts `executable` with `arguments` and waits for its ready line; returns the child and the line's fields.
    @discardableResult
    func start(_ name: String, executable: String, _ arguments: [String], ready prefix: String, within timeout: Duration = .seconds(120)) throws -> (child: BenchChild, fields: [String: String]) {
        let number = Self.started.add(1, ordering: .relaxed).newValue
        let logFile = logDirectory.appendingPathComponent(String(format: "%03d-", number) + name.replacingOccurrences(of: " ", with: "-") + ".log")
        let child = try BenchChild(name: name, executable: executable, arguments: arguments, logFile: logFile)
        children.append(child)
        let line = try child.line(startingWith: prefix, within: timeout)
        return (child, ReadyLine.fields(line))
    }

    /// Stops every child this set started, newest first, each by its pid.
    func stopAll() {
        while let child = children.popLast() { child.stop() }
    }

    private static func ownExecutable() throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { throw BenchError("cannot read /proc/self/exe: errno \(errno)") }
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
