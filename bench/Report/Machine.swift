import Foundation
import ZeroMQ

/// The machine a run measured, so figures from different machines are never compared blind.
struct Machine: Codable {
    let cpuModel: String
    let cores: Int
    let memoryBytes: Int
    let kernel: String
    let libzmq: String
    /// What `swift --version` on PATH printed (the toolchain `swift run` built with), first line.
    let swift: String

    /// Reads the machine: /proc for CPU and memory, uname for the kernel, libzmq itself for its version.
    static func current(logDirectory: URL) -> Machine {
        let cpuInfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let memInfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
        let version = libzmqVersion()
        return Machine(
            cpuModel: value(of: "model name", in: cpuInfo) ?? "unknown",
            cores: ProcessInfo.processInfo.activeProcessorCount,
            memoryBytes: (value(of: "MemTotal", in: memInfo).flatMap { Int($0.split(separator: " ").first ?? "") } ?? 0) * 1024,
            kernel: kernelRelease(),
            libzmq: "\(version.major).\(version.minor).\(version.patch)",
            swift: swiftVersion(logDirectory: logDirectory)
        )
    }

    /// A one-line summary for the terminal and the plot.
    var summary: String {
        "\(cpuModel), \(cores) cores, \(memoryBytes / 1_073_741_824) GiB, Linux \(kernel), libzmq \(libzmq), \(swift)"
    }

    private static func value(of key: String, in text: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix(key) }?
            .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces)
    }

    private static func kernelRelease() -> String {
        var names = utsname()
        uname(&names)
        return withUnsafeBytes(of: &names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    private static func swiftVersion(logDirectory: URL) -> String {
        guard let swift = ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":")
            .map({ "\($0)/swift" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }),
            let child = try? BenchChild(name: "swift --version", executable: swift, arguments: ["--version"], logFile: logDirectory.appendingPathComponent("swift-version.log")),
            let line = try? child.line(startingWith: "", within: .seconds(30))
        else { return "swift: unknown" }
        child.stop()
        return line
    }
}
