import Foundation

/// A tmpfs of a few hundred KiB mounted for one test (root only), so a broker can run out of
/// disk space: `with` unmounts it on every path.
struct SmallDisk: Sendable {
    static let mount = URL(fileURLWithPath: "/bin/mount")
    static let umount = URL(fileURLWithPath: "/bin/umount")

    /// Where it is mounted.
    let directory: String

    /// Whether this process may mount a tmpfs (it must be root).
    static let canMount: Bool = {
        let probe = temporaryPath("mount-probe")
        guard (try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)) != nil else { return false }
        defer { try? FileManager.default.removeItem(atPath: probe) }
        let mounted = (try? Process.run(mount, arguments: ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe])).map { process in
            process.waitUntilExit()
            return process.terminationStatus == 0
        } ?? false
        if mounted { _ = try? Process.run(umount, arguments: [probe]).waitUntilExit() }
        return mounted
    }()

    /// Mounts a tmpfs of `kibibytes` KiB on a fresh directory and runs `body` with it; unmounts
    /// it afterwards, whether `body` returns or throws (lazily: a process left holding a file
    /// there cannot keep it mounted).
    static func with<T>(kibibytes: Int, _ body: (SmallDisk) async throws -> T) async throws -> T {
        let disk = SmallDisk(directory: temporaryPath("small-disk"))
        try FileManager.default.createDirectory(atPath: disk.directory, withIntermediateDirectories: true)
        let mounted = try await runCommand(mount, ["-t", "tmpfs", "-o", "size=\(kibibytes)k", "tmpfs", disk.directory])
        guard mounted.status == 0 else {
            try? FileManager.default.removeItem(atPath: disk.directory)
            throw TestFailure("mount -t tmpfs on \(disk.directory) failed: \(mounted.stderr)")
        }
        do {
            let result = try await body(disk)
            await disk.unmount()
            return result
        } catch {
            await disk.unmount()
            throw error
        }
    }

    /// Writes a file of `kibibytes` KiB here and returns its path: space the test frees by deleting it.
    func filler(kibibytes: Int) throws -> String {
        let path = directory + "/filler"
        try Data(count: kibibytes << 10).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func unmount() async {
        _ = try? await runCommand(Self.umount, ["-l", directory])
        try? FileManager.default.removeItem(atPath: directory)
    }
}
