import Foundation
import Mahavishnu
import Testing

/// A broker pair on two hosts, two pool hosts and a producer host, in network namespaces with
/// CURVE on (docs/failover.md): the active broker fails under 5,000 tasks, by SIGKILL or by losing
/// its network; the backup takes over, every task gets exactly one result, and an active cut off
/// and brought back is fenced.
@Suite("Broker pair across hosts, over CURVE", .serialized)
struct PairAcrossHostsTests {
    enum Failure: String, CustomStringConvertible, CaseIterable {
        case sigkill, linkDown
        var description: String { rawValue }
    }

    @Test(
        "the active broker fails under 5,000 tasks: the backup takes over within 5 s, 0 lost, 0 duplicated; a cut-off active that comes back is fenced",
        .enabled(if: NetworkLab.canCreateNamespaces, "needs root and iproute2 to create network namespaces"),
        arguments: Failure.allCases
    )
    func activeFails(_ failure: Failure) async throws {
        let ring = try await KeyRing.make(identities: ["producer", "pool", "admin"])
        try ring.writeAllowList(["producer": ["producer"], "pool": ["pool"], "admin": ["admin"]])
        let settings = try writeSettings(fastFailureSettings + "broker_peer_timeout_ms: 1000\n")
        try await NetworkLab.with(hosts: ["primary", "backup", "host1", "host2", "producer"]) { lab, processes in
            let (primaryHost, backupHost) = (lab.address("primary"), lab.address("backup"))
            let mahavishnu = mahavishnuExecutable.path
            func broker(_ role: PairRole, on host: String, peer: String) throws -> ManagedProcess {
                try ManagedProcess(name: "broker \(role.rawValue)", executable: NetworkLab.ip, arguments: lab.inside(role.rawValue, [
                    mahavishnu, "broker", "--frontend", "tcp://\(host):5555", "--backend", "tcp://\(host):5556", "--http", "127.0.0.1:0",
                    "--bus-pub", "tcp://\(host):5557", "--bus-sub", "tcp://\(host):5558", "--no-memory",
                    "--role", role.rawValue, "--pair-bind", "tcp://\(host):5559", "--peer", "tcp://\(peer):5559",
                    "--keys", ring.broker, "--allow", ring.allowList, "--settings", settings,
                ]))
            }
            let primary = processes.add(try broker(.primary, on: primaryHost, peer: backupHost))
            let backup = processes.add(try broker(.backup, on: backupHost, peer: primaryHost))
            _ = try await primary.line(startingWith: "broker pair state=active ")
            _ = try await backup.line(startingWith: "broker pair state=passive ")

            let frontends = "tcp://\(primaryHost):5555,tcp://\(backupHost):5555"
            /// The active broker's stats, asked from the producer host with the admin key.
            @Sendable func stats() async throws -> BrokerStats {
                let output = try await runCommand(NetworkLab.ip, lab.inside("producer", [
                    mahavishnu, "stats", "--json", "--broker", frontends, "--keys", ring.directory("admin"),
                ]))
                guard output.status == 0 else { throw TestFailure("stats failed: \(output.stderr)") }
                return try JSONCoding.decode(BrokerStats.self, from: Array(output.stdout.utf8))
            }
            for host in ["host1", "host2"] {
                let pool = try ManagedProcess(name: host, executable: NetworkLab.ip, arguments: lab.inside(host, [
                    poolExecutable.path, "--name", host, "--id", "pool_\(host)", "--min", "16",
                    "--broker", "tcp://\(primaryHost):5556,tcp://\(backupHost):5556", "--keys", ring.directory("pool"), "--settings", settings,
                ]))
                processes.add(pool)
                _ = try await pool.line(startingWith: "pool ready")
            }

            let producer = try ManagedProcess(name: "producer.py", executable: NetworkLab.ip, arguments: lab.inside("producer", [
                "python3", repositoryRoot.appendingPathComponent("examples/producer.py").path, "--broker", frontends,
                "--keys", ring.directory("producer"), "--tasks", "5000", "--window", "64", "--sleep-ms", "20", "--timeout", "60",
            ]))
            processes.add(producer)
            try await waitUntil("1,000 results came through the primary", timeout: .seconds(60)) { try await stats().resultsDelivered >= 1_000 }
            let failed = ContinuousClock.now
            switch failure {
            case .sigkill: primary.send(SIGKILL)
            case .linkDown: try await lab.setLink("primary", up: false)
            }
            _ = try await backup.line(startingWith: "broker pair state=active ", within: .seconds(10))
            let takeover = ContinuousClock.now - failed
            print("pair across hosts (\(failure)): the backup took over \(takeover) after the active failed")
            #expect(takeover < .seconds(5), "the backup took over within 5 s")

            let summary = try await producer.line(startingWith: "completed", within: .seconds(90))
            print("pair across hosts (\(failure)): producer.py \(summary)")
            #expect(try await producer.exitStatus() == 0, "producer.py: \(producer.stderrTail)")
            // Every result is checked against its task (ordered, one per task): none lost, none twice.
            #expect(summary.hasPrefix("completed 5000/5000"), "\(summary)")
            let after = try await stats()
            #expect(after.pools == 2, "both pools moved to the backup")

            if failure == .linkDown {
                // Back on the network, the old active hears a higher epoch: it is fenced, and exits.
                try await lab.setLink("primary", up: true)
                let status = try await primary.exitStatus(within: .seconds(20))
                #expect(status != 0, "a fenced broker exits with an error")
                #expect(primary.stderrTail.contains("fenced"), "\(primary.stderrTail)")
                #expect(try await stats().pools == 2, "the backup still serves both pools")
                let health = try await runCommand(NetworkLab.ip, lab.inside("producer", [
                    mahavishnu, "pool", "health", "--broker", "tcp://\(backupHost):5555", "--keys", ring.directory("admin"),
                ]))
                #expect(health.stdout.contains("broker: active (backup, epoch 2)"), "\(health.stdout) \(health.stderr)")
            }
        }
    }
}
