import Foundation
import Mahavishnu
import Testing

/// The old `WorkerManager` path and the `workers` commands, on one-slot pools the broker spawns.
@Suite("WorkerManager and the workers CLI", .serialized)
struct WorkerManagerTests {
    /// Runs `body` with a broker that reads `settingsYAML` (and passes the file on to the pools it spawns).
    func withBroker<T: Sendable>(settings settingsYAML: String, _ body: (Deployment, String) async throws -> T) async throws -> T {
        let settings = try temporaryFile("settings", suffix: ".yaml", settingsYAML)
        return try await Deployment.with(pools: [], brokerArguments: ["--settings", settings]) { try await body($0, settings) }
    }

    static let printerSettings = """
        worker_types:
          printer: {executor: exec, command: [printf, "printed %s", "{prompt}"]}
        """

    @Test("spawn, execute, execute a batch, list, close and close all through the API, within maxConcurrent")
    func apiEndToEnd() async throws {
        try await withBroker(settings: Self.printerSettings) { deployment, settings in
            try await deployment.startPool(name: "plain", workers: 2)
            let loaded = try SettingsLoader.load(file: settings, environment: [:])
            let manager = try WorkerManager(maxConcurrent: 3, broker: deployment.frontend, settings: loaded)
            defer { manager.close() }
            let workers = try await manager.spawnWorkers(workerType: "printer", count: 2)
            #expect(workers.count == 2)
            #expect(try await manager.listWorkers().map(\.workerType) == ["printer", "printer"])

            let one = try await manager.executeTask(workers[0], task: TaskRequest(prompt: "Write code"))
            #expect(one.status == .completed)
            #expect(one.output == "printed Write code")
            #expect(one.poolID == workers[0])

            let tasks = (0..<6).map { TaskRequest(prompt: "task \($0)") }
            let batch = try await manager.executeBatch(workers, tasks: tasks)
            #expect(batch.map(\.output) == (0..<6).map { "printed task \($0)" })
            #expect(batch.map(\.poolID) == (0..<6).map { workers[$0 % 2] })

            let overLimit = await #expect(throws: WorkerError.self) { try await manager.spawnWorkers(count: 2) }
            #expect(overLimit?.code == .limitReached)
            #expect(overLimit?.description.contains("max_concurrent_workers (3)") == true)

            let other = try WorkerManager(broker: deployment.frontend, settings: loaded)
            #expect(try await other.listWorkers().map(\.workerID) == workers, "workers live in the broker, seen by every manager")
            other.close()

            try await manager.closeWorker(workers[0])
            #expect(try await manager.listWorkers().map(\.workerID) == [workers[1]])
            let partly = try await manager.executeBatch(workers, tasks: [TaskRequest(prompt: "a"), TaskRequest(prompt: "b")])
            #expect(partly.count == 2, "one result per task, even for a closed worker")
            #expect(partly[0].status == .failed)
            #expect(partly[0].error?.contains("no_such_pool") == true)
            #expect(partly[1].output == "printed b")
            let notAWorker = await #expect(throws: WorkerError.self) { try await manager.closeWorker("pool_plain") }
            #expect(notAWorker?.code == .noSuchWorker)

            #expect(try await manager.closeAll() == [workers[1]])
            #expect(try await manager.listWorkers().isEmpty)
            #expect(try await deployment.pools().keys.sorted() == ["plain"], "closeAll leaves pools alone")
        }
    }

    @Test("an unknown worker type is refused at spawn with the list of defined types, and nothing is left running")
    func unknownWorkerType() async throws {
        try await withBroker(settings: Self.printerSettings) { deployment, settings in
            let manager = try WorkerManager(broker: deployment.frontend, settings: try SettingsLoader.load(file: settings, environment: [:]))
            defer { manager.close() }
            let refusal = await #expect(throws: BrokerClientError.self) { try await manager.spawnWorkers(workerType: "teleporter", count: 2) }
            #expect(refusal?.code == .invalidArgument)
            #expect(refusal?.description.contains("unknown worker type 'teleporter'; defined worker types: echo, printer, terminal-claude, terminal-qwen") == true, "\(refusal?.description ?? "")")
            #expect(try await manager.listWorkers().isEmpty)

            let cli = try await runCommand(mahavishnuExecutable, ["pool", "spawn", "--name", "t", "--worker-type", "teleporter", "--broker", deployment.frontend])
            #expect(cli.status != 0)
            #expect(cli.stderr.contains("defined worker types: echo, printer, terminal-claude, terminal-qwen"))
        }
        let byHand = try await runCommand(mahavishnuExecutable, ["pool", "run", "--worker-type", "teleporter", "--broker", "tcp://127.0.0.1:9"])
        #expect(byHand.status != 0)
        #expect(byHand.stderr.contains("unknown worker type 'teleporter'; defined worker types: echo, terminal-claude, terminal-qwen"))
    }

    @Test("workers spawn, list and execute across separate CLI calls")
    func cliAcrossCalls() async throws {
        try await withBroker(settings: Self.printerSettings) { deployment, settings in
            func cli(_ arguments: [String]) async throws -> [String: Any] {
                let output = try await runCommand(mahavishnuExecutable, arguments + ["--broker", deployment.frontend, "--settings", settings, "--json"])
                guard output.status == 0 else { throw TestFailure("mahavishnu \(arguments.joined(separator: " ")) exited \(output.status): \(output.stderr)") }
                return try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
            }
            let spawned = try #require(try await cli(["workers", "spawn", "--type", "printer", "--count", "2"])["workers"] as? [String])
            #expect(spawned.count == 2)
            let listed = try #require(try await cli(["workers", "list"])["workers"] as? [[String: Any]])
            #expect(listed.compactMap { $0["worker_id"] as? String } == spawned.sorted())
            let executed = try #require(try await cli(["workers", "execute", "--prompt", "Write code", "--count", "3", "--type", "printer"])["results"] as? [[String: Any]])
            #expect(executed.count == 3)
            #expect(executed.allSatisfy { $0["output"] as? String == "printed Write code" })
            #expect(Set(executed.compactMap { $0["pool_id"] as? String }).isSuperset(of: spawned), "the live workers ran it, and a third was started")
            let closed = try #require(try await cli(["workers", "close-all"])["closed"] as? [String])
            #expect(closed.count == 3)
        }
    }

    @Test("rollback: pools_enabled: false refuses the pool path and keeps workers; workers_enabled: false the reverse")
    func rollbackSwitches() async throws {
        try await withBroker(settings: "") { deployment, _ in
            func cli(_ arguments: [String], settings: String) async throws -> (output: CommandOutput, file: String) {
                let path = try temporaryFile("settings", suffix: ".yaml", settings)
                return (try await runCommand(mahavishnuExecutable, arguments + ["--broker", deployment.frontend, "--settings", path]), path)
            }
            let poolsOff = "pools_enabled: false\n"
            for command in [["pool", "list"], ["pool", "spawn", "--name", "x"], ["pool", "route", "--prompt", "x"]] {
                let (refused, file) = try await cli(command, settings: poolsOff)
                #expect(refused.status != 0)
                #expect(refused.stderr.contains("pools are disabled in settings (pools_enabled: false; settings file: \(file)); set pools_enabled: true in \(file)"), "\(command): \(refused.stderr)")
            }
            let executed = try await cli(["workers", "execute", "--prompt", "still works", "--count", "2"], settings: poolsOff).output
            #expect(executed.status == 0, "\(executed.stderr)")
            #expect(executed.stdout.components(separatedBy: "still works").count - 1 == 2)
            let listed = try await cli(["workers", "list"], settings: poolsOff).output
            #expect(listed.stdout.split(separator: "\n").count == 3, "a header and two workers: \(listed.stdout)")

            var settings = Settings()
            settings.poolsEnabled = false
            #expect(throws: PoolsDisabledError.self) { try PoolManager(broker: deployment.frontend, settings: settings) }
            let manager = try WorkerManager(broker: deployment.frontend, settings: settings)
            #expect(try await manager.listWorkers().count == 2)
            manager.close()

            let workersOff = "workers_enabled: false\n"
            for command in [["workers", "list"], ["workers", "spawn"], ["workers", "execute", "--prompt", "x"]] {
                let (refused, file) = try await cli(command, settings: workersOff)
                #expect(refused.status != 0)
                #expect(refused.stderr.contains("workers are disabled in settings (workers_enabled: false; settings file: \(file)); set workers_enabled: true in \(file)"), "\(command): \(refused.stderr)")
            }
            let pools = try await cli(["pool", "list"], settings: workersOff).output
            #expect(pools.status == 0)
            #expect(pools.stdout.contains("worker"), "the pool path still works, and shows the workers' pools")
            let error = #expect(throws: WorkersDisabledError.self) { try WorkerManager(broker: deployment.frontend, settings: try SettingsLoader.load(file: nil, environment: ["MAHAVISHNU_WORKERS_ENABLED": "false"])) }
            #expect(error?.description.contains("MAHAVISHNU_WORKERS_ENABLED=true") == true)
            let pooled = try PoolManager(broker: deployment.frontend, settings: try SettingsLoader.load(file: nil, environment: ["MAHAVISHNU_WORKERS_ENABLED": "false"]))
            #expect(try await pooled.listPools().count == 2)
            pooled.close()
        }
    }
    @Test("the broker enforces its own rollback switches: a client with default settings cannot spawn what they turn off")
    func brokerEnforcesItsSwitches() async throws {
        try await withBroker(settings: "pools_enabled: false\n") { deployment, settings in
            let file = URL(fileURLWithPath: settings).standardizedFileURL.path
            let refused = try await runCommand(mahavishnuExecutable, ["pool", "spawn", "--name", "sneaky", "--json", "--broker", deployment.frontend])
            #expect(refused.status != 0)
            let error = try jsonError(refused)
            #expect(error.code == "disabled")
            #expect(error.message.contains("pools_enabled: false; settings file: \(file)"), "\(error.message)")
            #expect(error.message.contains("'mahavishnu'"))
            #expect(try await deployment.pools().isEmpty)
            let workers = try WorkerManager(broker: deployment.frontend)
            defer { workers.close() }
            #expect(try await workers.spawnWorkers(count: 1).count == 1, "workers are pools of type worker: still allowed")
        }
        try await withBroker(settings: "workers_enabled: false\n") { deployment, settings in
            let workers = try WorkerManager(broker: deployment.frontend)
            defer { workers.close() }
            let error = await #expect(throws: BrokerClientError.self) { try await workers.spawnWorkers(count: 1) }
            #expect(error?.code == .disabled)
            #expect(error?.description.contains("workers_enabled: false; settings file: \(URL(fileURLWithPath: settings).standardizedFileURL.path)") == true, "\(String(describing: error))")
            let pools = try PoolManager(broker: deployment.frontend)
            defer { pools.close() }
            #expect(try await pools.spawnPool("mahavishnu", config: PoolConfig(name: "allowed")).hasPrefix("pool_"))
        }
    }
}
