import Foundation
import Mahavishnu

/// A real `mahavishnu up` with a topology on loopback ports the OS chose.
struct UpDeployment: Sendable {
    let up: ManagedProcess
    let frontend: String
    /// The broker's bus endpoints.
    let busPub: String
    let busSub: String
    /// The scratch memory database the broker writes to.
    let memoryDatabase: TestDatabase

    /// Starts `up` with a topology of `pools` (and a scratch memory database) and waits until every pool is ready; `settings` is YAML.
    ///
    /// With `pools` `nil` it runs the built-in topology (pools `local` and `heavy`, the broker
    /// where `settings` say); `arguments` go to `up` as well.
    static func start(pools: [(name: String, workers: Int)]?, settings: String? = nil, arguments: [String] = []) async throws -> UpDeployment {
        var topologyArguments: [String] = []
        if let pools {
            let topology = FileManager.default.temporaryDirectory.appendingPathComponent("topology-\(UUID().uuidString).yaml")
            let poolLines = pools.map { "  - {name: \($0.name), min_workers: \($0.workers), max_workers: \(max($0.workers, 10)), worker_type: echo}" }
            try (["broker:", "  frontend: tcp://127.0.0.1:*", "  backend: tcp://127.0.0.1:*", "  bus_pub: tcp://127.0.0.1:*", "  bus_sub: tcp://127.0.0.1:*", "pools:"] + poolLines)
                .joined(separator: "\n").write(to: topology, atomically: true, encoding: .utf8)
            topologyArguments = ["--topology", topology.path]
        }
        let poolCount = pools?.count ?? 2
        let settingsFile = try settings.map(writeSettings)
        let database = TestDatabase()
        let up = try ManagedProcess(name: "up", executable: mahavishnuExecutable,
                                    arguments: ["up", "--http", "127.0.0.1:0"] + topologyArguments + (settingsFile.map { ["--settings", $0] } ?? []) + arguments,
                                    environment: ["MAHAVISHNU_MEMORY_DATABASE_PATH": database.path])
        do {
            let fields = readyFields(try await up.line(startingWith: "broker ready"))
            if poolCount > 0 { _ = try await up.line(startingWith: "pool ready", occurrence: poolCount, within: .seconds(60)) }
            return UpDeployment(up: up, frontend: fields["frontend"]!, busPub: fields["bus_pub"]!, busSub: fields["bus_sub"]!, memoryDatabase: database)
        } catch {
            await up.stop()
            database.remove()
            throw error
        }
    }

    /// Runs `mahavishnu ARGS --broker FRONTEND` to completion.
    func cli(_ arguments: [String]) async throws -> CommandOutput {
        try await runCommand(mahavishnuExecutable, arguments + ["--broker", frontend])
    }

    /// Runs a CLI command that must succeed and print JSON; returns the decoded JSON.
    func cliJSON(_ arguments: [String]) async throws -> Any {
        let output = try await cli(arguments + ["--json"])
        guard output.status == 0 else { throw TestFailure("mahavishnu \(arguments.joined(separator: " ")) exited \(output.status): \(output.stderr)") }
        return try JSONSerialization.jsonObject(with: Data(output.stdout.utf8))
    }

    /// The pids of the pool processes `up` started (from its "pool ready" lines; a pool that
    /// registers again after a reconnect is counted once).
    var poolPIDs: [Int32] {
        var seen = Set<Int32>()
        return up.stdoutLines.filter { $0.hasPrefix("pool ready") }.compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("pid=") }.flatMap { Int32($0.dropFirst(4)) }
        }.filter { seen.insert($0).inserted }
    }

    /// Runs `body` against a fresh `up` and always stops it.
    static func with<T: Sendable>(
        pools: [(name: String, workers: Int)]?, settings: String? = nil, arguments: [String] = [], _ body: (UpDeployment) async throws -> T
    ) async throws -> T {
        let deployment = try await start(pools: pools, settings: settings, arguments: arguments)
        defer { deployment.memoryDatabase.remove() }
        do {
            let result = try await body(deployment)
            let status = await deployment.up.stop(grace: .seconds(30))
            guard status == 0 else { throw TestFailure("up did not exit cleanly on SIGTERM (status \(status))") }
            return result
        } catch {
            await deployment.up.stop(grace: .seconds(30))
            throw error
        }
    }
}

/// Whether a process with `pid` still exists (and is not a zombie awaiting its parent).
func processExists(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    let status = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    return !status.contains(") Z ")
}
