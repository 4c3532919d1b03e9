import Foundation
import Mahavishnu
import Testing

@Suite("Pools on other hosts, over CURVE", .serialized)
struct MultiHostTests {
    @Test(
        "broker, two pool hosts and a producer in four network namespaces: cutting a pool host loses no task, and it rejoins",
        .enabled(if: NetworkLab.canCreateNamespaces, "needs root and iproute2 to create network namespaces")
    )
    func poolsOnOtherHosts() async throws {
        let ring = try await KeyRing.make(identities: ["producer", "pool", "admin"])
        try ring.writeAllowList(["producer": ["producer"], "pool": ["pool"], "admin": ["admin"]])
        let settings = try writeSettings(fastFailureSettings)
        let database = TestDatabase()
        defer { database.remove() }
        try await NetworkLab.with(hosts: ["broker", "host1", "host2", "producer"]) { lab, processes in
            let broker = lab.address("broker")
            let frontend = "tcp://\(broker):5555", backend = "tcp://\(broker):5556"
            let bus = ["--bus-pub", "tcp://\(broker):5557", "--bus-sub", "tcp://\(broker):5558"]
            let mahavishnu = mahavishnuExecutable.path
            let brokerProcess = try ManagedProcess(name: "broker", executable: NetworkLab.ip, arguments: lab.inside("broker", [
                mahavishnu, "broker", "--frontend", frontend, "--backend", backend, "--http", "127.0.0.1:0",
                "--keys", ring.broker, "--allow", ring.allowList, "--settings", settings, "--memory-database", database.path,
            ] + bus))
            processes.add(brokerProcess)
            _ = try await brokerProcess.line(startingWith: "broker ready")
            for host in ["host1", "host2"] {
                let pool = try ManagedProcess(name: host, executable: NetworkLab.ip, arguments: lab.inside(host, [
                    poolExecutable.path, "--name", host, "--id", "pool_\(host)", "--min", "4",
                    "--broker", backend, "--keys", ring.directory("pool"), "--settings", settings,
                ] + bus))
                processes.add(pool)
                _ = try await pool.line(startingWith: "pool ready")
            }
            /// The broker's view of the pools, asked from the producer host with the admin key.
            @Sendable func health() async throws -> HealthReport {
                let output = try await runCommand(NetworkLab.ip, lab.inside("producer", [
                    mahavishnu, "pool", "health", "--json", "--broker", frontend, "--keys", ring.directory("admin"),
                ]))
                guard output.status == 0 else { throw TestFailure("pool health failed: \(output.stderr)") }
                return try JSONCoding.decode(HealthReport.self, from: Array(output.stdout.utf8))
            }
            #expect(try await health().pools.map(\.name).sorted() == ["host1", "host2"])

            let producer = try ManagedProcess(name: "producer.py", executable: NetworkLab.ip, arguments: lab.inside("producer", [
                "python3", repositoryRoot.appendingPathComponent("examples/producer.py").path, "--broker", frontend,
                "--keys", ring.directory("producer"), "--tasks", "600", "--window", "32", "--sleep-ms", "30", "--timeout", "30",
            ]))
            processes.add(producer)
            try await waitUntil("host1 is running tasks") { try await health().pools.first { $0.name == "host1" }?.activeWorkers ?? 0 > 0 }
            try await lab.setLink("host1", up: false)

            let summary = try await producer.line(startingWith: "completed", within: .seconds(60))
            #expect(try await producer.exitStatus() == 0, "producer.py: \(producer.stderrTail)")
            #expect(summary.hasPrefix("completed 600/600"), "no task lost: \(summary)")
            #expect(try await health().pools.first { $0.name == "host1" }?.status == .lost)

            try await lab.setLink("host1", up: true)
            try await waitUntil("host1 re-registered", timeout: .seconds(30)) { try await health().pools.allSatisfy { $0.status == .healthy } }
            await processes.stopAll()

            // The pools reported every result over the bus, encrypted, to the broker's memory store.
            let stored = try await runCommand(mahavishnuExecutable, ["memory", "stats", "--database", database.path, "--json"])
            let records = try (JSONSerialization.jsonObject(with: Data(stored.stdout.utf8)) as? [String: Any])?["records"] as? Int
            #expect(records == 600, "\(stored.stdout) \(stored.stderr)")
        }
    }
}
