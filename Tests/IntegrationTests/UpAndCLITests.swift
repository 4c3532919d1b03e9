import Foundation
import Mahavishnu
import Testing

@Suite("mahavishnu up and the pool CLI, end to end", .serialized)
struct UpAndCLITests {
    @Test("spawn, list, execute, route with each selector, health, close and close-all across separate CLI calls")
    func cliEndToEnd() async throws {
        try await UpDeployment.with(pools: [("local", 2), ("heavy", 2)]) { deployment in
            let spawned = try #require(try await deployment.cliJSON(["pool", "spawn", "--type", "mahavishnu", "--name", "extra", "--min", "2", "--max", "4"]) as? [String: Any])
            let extraID = try #require(spawned["pool_id"] as? String)
            #expect(extraID.hasPrefix("pool_"))

            let listed = try #require(try await deployment.cliJSON(["pool", "list"]) as? [String: Any])
            let pools = try #require(listed["pools"] as? [[String: Any]])
            #expect(Set(pools.compactMap { $0["name"] as? String }) == ["local", "heavy", "extra"])
            #expect(pools.first { $0["pool_id"] as? String == extraID }?["max_workers"] as? Int == 4)
            // The broker started it with mahavishnu-pool, from the directory of its own executable.
            let pid = try #require(pools.first { $0["pool_id"] as? String == extraID }?["pid"] as? Int)
            let program = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
            #expect(program == poolExecutable.resolvingSymlinksInPath().path)

            let executed = try #require(try await deployment.cliJSON(["pool", "execute", extraID, "--prompt", "run on extra"]) as? [String: Any])
            #expect(executed["pool_id"] as? String == extraID)
            #expect(executed["output"] as? String == "run on extra")
            #expect((executed["worker_id"] as? String)?.hasPrefix(extraID) == true)

            for selector in ["least_loaded", "round_robin", "random"] {
                let routed = try #require(try await deployment.cliJSON(["pool", "route", "--prompt", "via \(selector)", "--selector", selector]) as? [String: Any])
                #expect(routed["status"] as? String == "completed")
                #expect(routed["output"] as? String == "via \(selector)")
                #expect(routed["worker_id"] != nil)
            }
            let pinned = try #require(try await deployment.cliJSON(["pool", "route", "--task", #"{"prompt": "pinned", "note": "kept"}"#, "--selector", "affinity", "--affinity", "heavy"]) as? [String: Any])
            #expect((pinned["pool_id"] as? String).map { id in pools.contains { $0["pool_id"] as? String == id && $0["name"] as? String == "heavy" } } == true)

            let table = try await deployment.cli(["pool", "route", "--prompt", "readable", "--selector", "round_robin"])
            #expect(table.status == 0)
            #expect(table.stdout.contains("completed on pool"))
            #expect(table.stdout.contains("readable"))

            let health = try #require(try await deployment.cliJSON(["pool", "health"]) as? [String: Any])
            #expect(health["status"] as? String == "healthy")
            #expect(health["pools_active"] as? Int == 3)

            let closed = try await deployment.cli(["pool", "close", extraID])
            #expect(closed.status == 0, "\(closed.stderr)")
            let afterClose = try #require(try await deployment.cliJSON(["pool", "list"]) as? [String: Any])
            #expect((afterClose["pools"] as? [[String: Any]])?.count == 2)

            let closedAll = try #require(try await deployment.cliJSON(["pool", "close-all"]) as? [String: Any])
            #expect(Set(closedAll["closed"] as? [String] ?? []).count == 2)
            let health2 = try #require(try await deployment.cliJSON(["pool", "health"]) as? [String: Any])
            #expect(health2["status"] as? String == "unhealthy")
            #expect(deployment.poolPIDs.count == 3)
            for pid in deployment.poolPIDs { #expect(!processExists(pid), "pool process \(pid) is still running after close-all") }
        }
    }

    @Test("CLI errors are specific and exit non-zero")
    func cliErrors() async throws {
        // A fresh broker holds affinity tasks for unknown pools for affinity_wait_seconds: 1 s here.
        try await UpDeployment.with(pools: [("local", 1)], settings: "affinity_wait_seconds: 1\n") { deployment in
            let unknownPool = try await deployment.cli(["pool", "execute", "nowhere", "--prompt", "x"])
            #expect(unknownPool.status != 0)
            #expect(unknownPool.stderr.contains("no_such_pool"))
            #expect(unknownPool.stderr.contains("'nowhere'"))

            let badSelector = try await deployment.cli(["pool", "route", "--prompt", "x", "--selector", "fastest"])
            #expect(badSelector.status != 0)
            #expect(badSelector.stderr.contains("least_loaded"))

            let duplicate = try await deployment.cli(["pool", "spawn", "--name", "local"])
            #expect(duplicate.status != 0)
            #expect(duplicate.stderr.contains("already exists"))

            let badWorkers = try await deployment.cli(["pool", "spawn", "--name", "x", "--min", "5", "--max", "2"])
            #expect(badWorkers.status != 0)
            #expect(badWorkers.stderr.contains("max_workers (2) must be at least min_workers (5)"))

            let badWorkerType = try await deployment.cli(["pool", "spawn", "--name", "y", "--worker-type", "teleporter"])
            #expect(badWorkerType.status != 0)
            #expect(badWorkerType.stderr.contains("teleporter"))
        }
        let noBroker = try await runCommand(mahavishnuExecutable, ["pool", "list", "--broker", "tcp://127.0.0.1:9"])
        #expect(noBroker.status != 0)
        #expect(noBroker.stderr.contains("no broker at tcp://127.0.0.1:9"))
    }

    @Test("SIGTERM to up drains and leaves no pool process behind")
    func upStopsItsChildren() async throws {
        let deployment = try await UpDeployment.start(pools: [("a", 2), ("b", 2), ("c", 1)])
        defer { deployment.memoryDatabase.remove() }
        let pids = deployment.poolPIDs
        #expect(pids.count == 3)
        #expect(pids.allSatisfy(processExists))
        let manager = try PoolManager(broker: deployment.frontend)
        let inFlight = Task { try await manager.routeTask(TaskRequest(prompt: "finish me", sleepMilliseconds: 500), selector: .affinity, affinity: "a") }
        try await waitUntil("the task is running") { try await manager.listPools().first { $0.name == "a" }?.inFlight == 1 }
        deployment.up.send(SIGTERM)
        let status = try await deployment.up.exitStatus(within: .seconds(30))
        let finished = try await inFlight.value
        manager.close()
        #expect(status == 0)
        #expect(finished.output == "finish me", "the in-flight task finished before up stopped")
        #expect(deployment.up.stdoutLines.last == "broker stopped")
        for pid in pids { #expect(!processExists(pid), "pool process \(pid) outlived up") }
    }

    @Test("up without --topology puts the broker on broker_frontend and broker_backend from the settings")
    func upListensWhereSettingsSay() async throws {
        let frontend = scratchIPCEndpoint("front")
        let settings = """
            broker_frontend: \(frontend)
            broker_backend: tcp://127.0.0.1:*
            broker_bus_pub: tcp://127.0.0.1:*
            broker_bus_sub: tcp://127.0.0.1:*

            """
        try await UpDeployment.with(pools: nil, settings: settings) { deployment in
            #expect(deployment.frontend == frontend)
            let listed = try #require(try await deployment.cliJSON(["pool", "list"]) as? [String: Any])
            #expect(Set((listed["pools"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }) == ["local", "heavy"])
        }
    }

    @Test("up --frontend and --backend win over the topology's broker section")
    func upFlagsWinOverTheTopology() async throws {
        let frontend = scratchIPCEndpoint("front"), backend = scratchIPCEndpoint("back")
        try await UpDeployment.with(pools: [("flagged", 1)], arguments: ["--frontend", frontend, "--backend", backend]) { deployment in
            #expect(deployment.frontend == frontend)
            #expect(deployment.up.stdoutLines.contains { $0.hasPrefix("broker ready") && $0.contains("backend=\(backend)") })
            let listed = try #require(try await deployment.cliJSON(["pool", "list"]) as? [String: Any])
            #expect((listed["pools"] as? [[String: Any]])?.first?["name"] as? String == "flagged")
        }
    }

    @Test("with --json every failure is {\"error\": {\"code\", \"message\"}} on stdout, with a non-zero exit")
    func jsonFailures() async throws {
        try await UpDeployment.with(pools: [("local", 1)]) { deployment in
            let unknownPool = try await deployment.cli(["pool", "execute", "nowhere", "--prompt", "x", "--json"])
            #expect(unknownPool.status != 0)
            let refused = try jsonError(unknownPool)
            #expect(refused.code == "no_such_pool")
            #expect(refused.message.contains("'nowhere'"))

            let badSelector = try await deployment.cli(["pool", "route", "--prompt", "x", "--selector", "fastest", "--json"])
            #expect(badSelector.status != 0)
            #expect(try jsonError(badSelector).code == "invalid_usage")
            #expect(try jsonError(badSelector).message.contains("least_loaded"))

            let badTask = try await deployment.cli(["pool", "route", "--task", #"{"prompt": 3}"#, "--json"])
            #expect(badTask.status != 0)
            #expect(try jsonError(badTask).code == "invalid_usage")
        }
        let noBroker = try await runCommand(mahavishnuExecutable, ["stats", "--broker", "tcp://127.0.0.1:9", "--json"])
        #expect(noBroker.status != 0)
        #expect(try jsonError(noBroker).code == "no_broker")
        let badBus = try await runCommand(mahavishnuExecutable, ["bus", "tail", "--type", "gossip", "--json"])
        #expect(badBus.status != 0)
        #expect(try jsonError(badBus).code == "invalid_usage")
        let noDatabase = try await runCommand(mahavishnuExecutable, ["memory", "stats", "--database", "/nonexistent/memory.sqlite", "--json"])
        #expect(noDatabase.status != 0)
        #expect(try jsonError(noDatabase).code == "memory_unavailable")
        let mcp = try await runCommand(mahavishnuExecutable, ["mcp", "--json"])
        #expect(mcp.status != 0, "mcp has no --json: everything it writes to stdout is an MCP message")
    }

    @Test("--version prints the version of mahavishnu and mahavishnu-pool")
    func versions() async throws {
        for executable in [mahavishnuExecutable, poolExecutable] {
            let output = try await runCommand(executable, ["--version"])
            #expect(output.status == 0)
            #expect(output.stdout == MahavishnuVersion.current + "\n", "\(executable.lastPathComponent): \(output.stdout)")
        }
    }

    @Test("a misspelt MAHAVISHNU_ variable is refused, naming the variable it resembles")
    func misspeltEnvironmentVariable() async throws {
        let output = try await runCommand(mahavishnuExecutable, ["pool", "list", "--broker", "tcp://127.0.0.1:9"], environment: ["MAHAVISHNU_BROKR_QUEUE_BOUND": "5"])
        #expect(output.status != 0)
        #expect(output.stderr.contains("MAHAVISHNU_BROKR_QUEUE_BOUND"))
        #expect(output.stderr.contains("did you mean MAHAVISHNU_BROKER_QUEUE_BOUND?"))
        #expect(!output.stderr.contains("no broker at"), "refused before anything connects")
    }

    @Test("pool metrics shows the new worker count right after pool scale, without waiting for a heartbeat")
    func metricsFollowScale() async throws {
        // Heartbeats 4 s apart: the pool's own report of the count comes long after the scale.
        try await Deployment.with(pools: [("m", 1)], settings: "heartbeat_interval_ms: 4000\n") { deployment in
            @Sendable func metrics() async throws -> PoolMetrics {
                let output = try await runCommand(mahavishnuExecutable, ["pool", "metrics", "m", "--json", "--broker", deployment.frontend])
                guard output.status == 0 else { throw TestFailure("pool metrics exited \(output.status): \(output.stderr)") }
                return try JSONCoding.decode(PoolMetrics.self, from: Array(output.stdout.utf8))
            }
            try await waitUntil("the pool's first vitals", timeout: .seconds(30)) { try await metrics().vitals != nil }
            #expect(try await metrics().vitals?.totalWorkers == 1)
            let scaled = try await runCommand(mahavishnuExecutable, ["pool", "scale", "m", "--target", "4", "--broker", deployment.frontend])
            #expect(scaled.status == 0, "\(scaled.stderr)")
            let after = try await metrics()
            #expect(after.vitals?.totalWorkers == 4)
            #expect(after.lastHeartbeatMs < 4000, "measured before the next heartbeat could report it")
        }
    }

    @Test("a refused settings file starts nothing and exits non-zero")
    func invalidSettingsStartNothing() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).yaml").path
        try "pool_routing_strategy: fastest\n".write(toFile: path, atomically: true, encoding: .utf8)
        let output = try await runCommand(mahavishnuExecutable, ["up", "--settings", path])
        #expect(output.status != 0)
        #expect(output.stderr.contains("'pool_routing_strategy'"))
        #expect(!output.stdout.contains("broker ready"))
    }
}

/// The `{"error": {"code", "message"}}` a command printed on stdout with `--json`.
func jsonError(_ output: CommandOutput) throws -> (code: String, message: String) {
    let object = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any]
    guard let error = object?["error"] as? [String: Any], let code = error["code"] as? String, let message = error["message"] as? String else {
        throw TestFailure("expected {\"error\": {\"code\", \"message\"}} on stdout; got: \(output.stdout) (stderr: \(output.stderr))")
    }
    return (code, message)
}

/// An `ipc://` endpoint in the temporary directory, unique to this call.
func scratchIPCEndpoint(_ name: String) -> String {
    "ipc://" + FileManager.default.temporaryDirectory.appendingPathComponent("mhv-\(name)-\(UUID().uuidString.prefix(8)).sock").path
}

@Suite("The Swift PoolManager API", .serialized)
struct PoolManagerTests {
    @Test("100 concurrent routeTask calls from one PoolManager return 100 correct results")
    func concurrentRouting() async throws {
        try await UpDeployment.with(pools: [("a", 4), ("b", 4)]) { deployment in
            let manager = try PoolManager(broker: deployment.frontend)
            defer { manager.close() }
            let results = try await withThrowingTaskGroup(of: (Int, TaskResult).self) { group in
                for index in 0..<100 {
                    group.addTask {
                        let selector = [PoolSelector.leastLoaded, .roundRobin, .random][index % 3]
                        let routed = try await manager.routeTask(TaskRequest(prompt: "task \(index)", sleepMilliseconds: 20), selector: selector)
                        return (index, routed)
                    }
                }
                return try await group.reduce(into: [Int: TaskResult]()) { $0[$1.0] = $1.1 }
            }
            #expect(results.count == 100)
            for (index, result) in results {
                #expect(result.output == "task \(index)")
                #expect(result.status == .completed)
            }
            #expect(Set(results.values.map(\.poolID)).count == 2)
        }
    }

    @Test("the Swift producer example runs against a real deployment")
    func swiftExample() async throws {
        try await UpDeployment.with(pools: [("local", 2)]) { deployment in
            let example = mahavishnuExecutable.deletingLastPathComponent().appendingPathComponent("mahavishnu-example-producer")
            let output = try await runCommand(example, [deployment.frontend])
            #expect(output.status == 0, "\(output.stderr)")
            #expect(output.stdout.contains("pinned to example -> pool_"))
            #expect(output.stdout.components(separatedBy: " completed").count - 1 == 13)
            #expect(output.stdout.contains("health: healthy"))
        }
    }

    @Test("spawn, execute, list, health and close through the API; pools disabled is refused with how to enable them")
    func apiLifecycle() async throws {
        try await UpDeployment.with(pools: []) { deployment in
            let manager = try PoolManager(broker: deployment.frontend)
            defer { manager.close() }
            let poolID = try await manager.spawnPool("mahavishnu", config: PoolConfig(name: "api", minWorkers: 2, maxWorkers: 3))
            let result = try await manager.executeOnPool(poolID, task: TaskRequest(prompt: "Write code"))
            #expect(result.poolID == poolID)
            #expect(try await manager.listPools().map(\.poolID) == [poolID])
            #expect(try await manager.healthCheck().status == .healthy)
            try await manager.closePool(poolID)
            #expect(try await manager.listPools().isEmpty)
        }
        var settings = Settings()
        settings.poolsEnabled = false
        let error = #expect(throws: PoolsDisabledError.self) { try PoolManager(settings: settings) }
        #expect(error?.description.contains("pools_enabled: true") == true)
    }
}
