import Foundation
import Mahavishnu
import Synchronization

/// The built `mahavishnu` executable, next to the test bundle (or `MAHAVISHNU_BIN`).
let mahavishnuExecutable: URL = {
    if let path = ProcessInfo.processInfo.environment["MAHAVISHNU_BIN"] { return URL(fileURLWithPath: path) }
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var directory = bundle.deletingLastPathComponent()
    while directory.path != "/" {
        let candidate = directory.appendingPathComponent("mahavishnu")
        if FileManager.default.isExecutableFile(atPath: candidate.path) && !candidate.hasDirectoryPath { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    fatalError("cannot find the mahavishnu executable near \(bundle.path); set MAHAVISHNU_BIN")
}()

/// The built `mahavishnu-pool` executable, next to `mahavishnu` (where the broker looks for it too).
let poolExecutable = mahavishnuExecutable.deletingLastPathComponent().appendingPathComponent("mahavishnu-pool")

/// Writes a settings file and returns its path.
func writeSettings(_ yaml: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("settings-\(UUID().uuidString).yaml").path
    try yaml.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// Settings with fast heartbeats, so failures are noticed within a second (and a loaded
/// 2-core machine does not miss a beat by accident).
let fastFailureSettings = """
    heartbeat_interval_ms: 200
    heartbeat_liveness: 5
    affinity_wait_seconds: 20
    autoscale_cooldown_seconds: 1
    client_retry_interval_seconds: 0.5

    """

/// The repository root, for examples and docs.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A real broker process with real pool processes on loopback ports the OS chose.
final class Deployment: Sendable {
    let broker: ManagedProcess
    let frontend: String
    let backend: String
    /// The broker's bus endpoints: publishers connect to `busPub`, subscribers to `busSub`.
    let busPub: String
    let busSub: String
    /// The broker's HTTP listener, `host:port` (`/metrics`, the dashboard), and the file of its admin token.
    let http: String
    let httpTokenFile: String
    let client: BrokerClient
    /// The memory database, when the deployment made a scratch one that `shutdown()` removes.
    private let scratchDatabase: TestDatabase?
    private let poolProcesses = Mutex<[String: ManagedProcess]>([:])

    /// The settings file the broker and pools run with, if any.
    let settings: String?

    private init(broker: ManagedProcess, endpoints: [String: String], settings: String?, scratchDatabase: TestDatabase?) throws {
        self.broker = broker
        frontend = endpoints["frontend"]!
        backend = endpoints["backend"]!
        busPub = endpoints["bus_pub"]!
        busSub = endpoints["bus_sub"]!
        http = endpoints["http"]!
        httpTokenFile = endpoints["http_token"]!
        self.settings = settings
        self.scratchDatabase = scratchDatabase
        client = try BrokerClient(endpoint: frontend)
    }

    /// Starts a broker with `brokerArguments` and one pool per `(name, workers)`, each registered before returning.
    ///
    /// Broker and pools read `settings` (YAML) if given. The broker's memory store goes to
    /// `memoryDatabase`, or to a scratch file removed on shutdown; `environment` is added to the
    /// broker's (`MAHAVISHNU_<KEY>` settings, say). Every endpoint is `tcp://LOOPBACK:*`.
    static func start(
        pools: [(name: String, workers: Int)], brokerArguments: [String] = [], settings: String? = nil,
        memoryDatabase: TestDatabase? = nil, environment: [String: String] = [:], loopback: String = "127.0.0.1"
    ) async throws -> Deployment {
        let settingsFile = try settings.map(writeSettings)
        let scratch = memoryDatabase == nil ? TestDatabase() : nil
        let database = memoryDatabase ?? scratch!
        let anyPort = "tcp://\(loopback):*"
        let broker = try ManagedProcess(
            name: "broker", executable: mahavishnuExecutable,
            arguments: ["broker", "--frontend", anyPort, "--backend", anyPort, "--http", "127.0.0.1:0",
                        "--bus-pub", anyPort, "--bus-sub", anyPort, "--memory-database", database.path] + brokerArguments
                + (settingsFile.map { ["--settings", $0] } ?? []),
            environment: environment
        )
        let ready: String
        do {
            ready = try await broker.line(startingWith: "broker ready")
        } catch {
            await broker.stop()
            scratch?.remove()
            throw error
        }
        let deployment = try Deployment(broker: broker, endpoints: readyFields(ready), settings: settingsFile, scratchDatabase: scratch)
        do {
            for pool in pools { try await deployment.startPool(name: pool.name, workers: pool.workers) }
        } catch {
            await deployment.shutdown()
            throw error
        }
        return deployment
    }

    /// Starts a pool process, `mahavishnu-pool` (or `executable`; with `environment` added to the
    /// test's), and waits until the broker has registered it.
    @discardableResult
    func startPool(
        name: String, workers: Int, extraArguments: [String] = [], environment: [String: String]? = nil, executable: URL = poolExecutable
    ) async throws -> ManagedProcess {
        let pool = try ManagedProcess(
            name: "pool \(name)", executable: executable,
            arguments: ["--name", name, "--id", "pool_\(name)", "--min", "\(workers)", "--max", "\(max(workers, 10))", "--broker", backend,
                        "--frontend", frontend, "--bus-pub", busPub, "--bus-sub", busSub]
                + (settings.map { ["--settings", $0] } ?? []) + extraArguments,
            environment: environment
        )
        poolProcesses.withLock { $0[name] = pool }
        _ = try await pool.line(startingWith: "pool ready")
        return pool
    }

    func pool(_ name: String) -> ManagedProcess? { poolProcesses.withLock { $0[name] } }

    /// Forgets a pool process the test stopped itself (killed, say).
    func forgetPool(_ name: String) { poolProcesses.withLock { $0[name] = nil } }

    /// Stops every process this deployment started, pools first, by pid; returns the broker's exit status.
    @discardableResult
    func shutdown() async -> Int32 {
        client.close()
        for pool in poolProcesses.withLock({ Array($0.values) }) { await pool.stop() }
        let status = await broker.stop()
        scratchDatabase?.remove()
        return status
    }

    /// Runs `body` against a fresh deployment and always shuts it down.
    static func with<T: Sendable>(
        pools: [(name: String, workers: Int)], brokerArguments: [String] = [], settings: String? = nil,
        memoryDatabase: TestDatabase? = nil, environment: [String: String] = [:], loopback: String = "127.0.0.1",
        _ body: (Deployment) async throws -> T
    ) async throws -> T {
        let deployment = try await start(pools: pools, brokerArguments: brokerArguments, settings: settings, memoryDatabase: memoryDatabase, environment: environment, loopback: loopback)
        do {
            let result = try await body(deployment)
            let status = await deployment.shutdown()
            guard status == 0 else { throw TestFailure("the broker did not exit cleanly on SIGTERM (status \(status))") }
            return result
        } catch {
            await deployment.shutdown()
            throw error
        }
    }

    /// Submits `count` echo tasks, at most `window` in flight at once; returns the results in submission order.
    ///
    /// Task ids are fresh UUIDs unless `taskID` names them.
    func submit(
        count: Int, window: Int, selector: PoolSelector?, affinity: String? = nil,
        sleepMilliseconds: Int? = nil, prompt: (Int) -> String = { "task \($0)" }, taskID: (Int) -> String = { _ in UUID().uuidString }
    ) async throws -> [TaskResult] {
        var results = [TaskResult?](repeating: nil, count: count)
        let client = self.client
        try await withThrowingTaskGroup(of: (Int, TaskResult).self) { group in
            var next = 0
            func launch() {
                let index = next, text = prompt(next), id = taskID(next)
                next += 1
                group.addTask {
                    let result = try await client.submit(TaskRequest(prompt: text, sleepMilliseconds: sleepMilliseconds), taskID: id, selector: selector, affinity: affinity, timeout: .seconds(60))
                    return (index, result)
                }
            }
            while next < min(window, count) { launch() }
            for try await (index, result) in group {
                results[index] = result
                if next < count { launch() }
            }
        }
        return results.map { $0! }
    }

    /// The broker's view of its pools, by name.
    func pools() async throws -> [String: PoolSummary] {
        let list = try await client.control(.list, as: PoolList.self)
        return Dictionary(uniqueKeysWithValues: list.pools.map { ($0.name, $0) })
    }

    func stats() async throws -> BrokerStats {
        try await client.control(.stats, as: BrokerStats.self)
    }

    func health() async throws -> HealthReport {
        try await client.control(.health, as: HealthReport.self)
    }
}

/// The `key=value` fields of a ready line such as `broker ready frontend=… backend=…`.
func readyFields(_ line: String) -> [String: String] {
    Dictionary(uniqueKeysWithValues: line.split(separator: " ").compactMap { field -> (String, String)? in
        let parts = field.split(separator: "=", maxSplits: 1)
        return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
    })
}

/// A memory database file in a directory of its own under the temporary directory.
struct TestDatabase: Sendable {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mahavishnu-memory-\(UUID().uuidString)")

    /// The database file (the broker creates it, and its directory, on start).
    var path: String { directory.appendingPathComponent("memory.sqlite").path }

    /// Deletes the database and its directory.
    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}
