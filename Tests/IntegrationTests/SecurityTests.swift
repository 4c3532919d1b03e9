import Foundation
import Mahavishnu
import Testing

@Suite("CURVE encryption and ZAP roles", .serialized)
struct SecurityTests {
    /// A broker with CURVE on, a pool with a pool key, and an admin client for assertions.
    func withSecureBroker<T: Sendable>(_ body: (Deployment, KeyRing, BrokerClient) async throws -> T) async throws -> T {
        let ring = try await KeyRing.make(identities: ["producer", "pool", "admin", "stranger"])
        try ring.writeAllowList(["producer": ["producer"], "pool": ["pool"], "admin": ["admin"]])
        return try await Deployment.with(pools: [], brokerArguments: ["--keys", ring.broker, "--allow", ring.allowList], settings: fastFailureSettings) { deployment in
            try await deployment.startPool(name: "secure", workers: 2, extraArguments: ["--keys", ring.directory("pool")])
            let admin = try BrokerClient(endpoint: deployment.frontend, curve: try ring.clientKeys("admin"))
            defer { admin.close() }
            return try await body(deployment, ring, admin)
        }
    }

    @Test("keys generate writes a Z85 key pair; the secret file is readable by its owner only")
    func generateKeys() async throws {
        let ring = try await KeyRing.make(identities: ["someone"])
        let secret = ring.directory("someone") + "/id.secret"
        let attributes = try FileManager.default.attributesOfItem(atPath: secret)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let keys = try ring.clientKeys("someone")
        #expect(keys.keys.publicKey == (try ring.publicKey("someone")))
        #expect(keys.keys.publicKey.count == 40)
        let again = try await runCommand(mahavishnuExecutable, ["keys", "generate", "--out", ring.directory("someone")])
        #expect(again.status != 0, "an existing secret is never overwritten")
    }

    @Test("allowed keys work; an unknown key, no key and a key in the wrong role are each refused and counted")
    func rolesAreEnforced() async throws {
        try await withSecureBroker { deployment, ring, admin in
            let producer = try BrokerClient(endpoint: deployment.frontend, curve: try ring.clientKeys("producer"))
            defer { producer.close() }
            let result = try await producer.submit(TaskRequest(prompt: "encrypted"), timeout: .seconds(30))
            #expect(result.output == "encrypted" && result.poolID == "pool_secure")

            /// A client with `curve` gets no answer, and stays connected until its refusal is counted.
            ///
            /// A fresh client connects again if the refusal is not counted within 5 s: a keyless
            /// peer's refusal, counted from the socket monitor, has occasionally not been seen
            /// for one connection under load (an open question, see the closing note).
            func refused(_ curve: ClientCurveKeys?, _ what: String, counted counter: KeyPath<BrokerStats, Int> & Sendable) async throws {
                for attempt in 1...4 {
                    let client = try BrokerClient(endpoint: deployment.frontend, retryInterval: nil, curve: curve)
                    defer { client.close() }
                    await #expect(throws: BrokerClientError.self) { try await client.submit(TaskRequest(prompt: "let me in"), timeout: .milliseconds(500)) }
                    do {
                        return try await waitUntil(what, timeout: .seconds(5)) { try await admin.control(.stats, as: BrokerStats.self)[keyPath: counter] >= 1 }
                    } catch where attempt < 4 {
                        continue
                    }
                }
            }
            try await refused(try ring.clientKeys("stranger"), "the unknown key is counted", counted: \.authRefusedUnknownKey)
            try await refused(nil, "the missing key is counted", counted: \.authRefusedNoKey)
            try await refused(try ring.clientKeys("pool"), "the pool key on the frontend is counted", counted: \.authRefusedWrongRole)

            // A producer key cannot register as a pool.
            let impostor = try await deployment.startPoolExpectingRefusal(name: "impostor", keys: ring.directory("producer"))
            try await waitUntil("the producer key on the backend is counted") { try await admin.control(.stats, as: BrokerStats.self).authRefusedWrongRole >= 2 }
            #expect(try await admin.control(.list, as: PoolList.self).pools.map(\.name) == ["secure"])
            await impostor.stop()

            // A producer key cannot run administrative commands; an admin key can.
            let closing = await #expect(throws: BrokerClientError.self) {
                try await producer.control(.close, arguments: JSONCoding.encode(PoolReference(pool: "secure")), as: PoolIdentity.self)
            }
            #expect(closing?.code == .forbidden)
            #expect(closing?.description.contains("needs an admin key") == true)
            #expect(try await admin.control(.stats, as: BrokerStats.self).adminRefused == 1)
            let scaled = try await admin.control(.scale, arguments: JSONCoding.encode(ScaleRequest(pool: "secure", targetWorkers: 3)), as: PoolSummary.self)
            #expect(scaled.workers == 3)

            // The same counters through the CLI.
            let cli = try await runCommand(mahavishnuExecutable, ["stats", "--json", "--broker", deployment.frontend, "--keys", ring.directory("admin")])
            #expect(cli.status == 0, "\(cli.stderr)")
            let counted = try JSONCoding.decode(BrokerStats.self, from: Array(cli.stdout.utf8))
            #expect(counted.authRefusedUnknownKey >= 1 && counted.authRefusedNoKey >= 1 && counted.authRefusedWrongRole >= 2 && counted.adminRefused == 1)
        }
    }

    @Test("a revoked key is refused after SIGHUP, and connections already admitted stay up")
    func revocationOnReload() async throws {
        try await withSecureBroker { deployment, ring, admin in
            let connected = try BrokerClient(endpoint: deployment.frontend, curve: try ring.clientKeys("producer"))
            defer { connected.close() }
            #expect(try await connected.submit(TaskRequest(prompt: "before"), timeout: .seconds(30)).output == "before")

            try ring.writeAllowList(["pool": ["pool"], "admin": ["admin"]])
            deployment.broker.send(SIGHUP)
            _ = try await deployment.broker.line(startingWith: "allow-list reloaded")

            let unknownBefore = try await admin.control(.stats, as: BrokerStats.self).authRefusedUnknownKey
            let newcomer = try BrokerClient(endpoint: deployment.frontend, retryInterval: nil, curve: try ring.clientKeys("producer"))
            defer { newcomer.close() }
            await #expect(throws: BrokerClientError.self) { try await newcomer.submit(TaskRequest(prompt: "after"), timeout: .milliseconds(500)) }
            try await waitUntil("the revoked key is refused") { try await admin.control(.stats, as: BrokerStats.self).authRefusedUnknownKey > unknownBefore }
            #expect(try await connected.submit(TaskRequest(prompt: "still connected"), timeout: .seconds(30)).output == "still connected")
        }
    }

    @Test("the bus is under CURVE too: bus tail without keys is refused and counted; with a producer key it sees the events")
    func busIsEncrypted() async throws {
        try await withSecureBroker { deployment, ring, admin in
            let endpoints = ["--bus-pub", deployment.busPub, "--bus-sub", deployment.busSub]
            let refused = try await runCommand(mahavishnuExecutable, ["bus", "tail"] + endpoints)
            #expect(refused.status != 0)
            // Refused as keyless, or, when it hung up first on reading the broker's greeting, as a failed handshake.
            try await waitUntil("the keyless bus client is counted") {
                let stats = try await admin.control(.stats, as: BrokerStats.self)
                return stats.authRefusedNoKey + stats.authRefusedBadHandshake >= 1
            }

            let tail = try ManagedProcess(name: "bus tail", executable: mahavishnuExecutable,
                                          arguments: ["bus", "tail", "--json", "--type", "task_completed", "--keys", ring.directory("producer")] + endpoints)
            defer { tail.send(SIGKILL) }
            try await waitUntil("bus tail is listening") { tail.stderrTail.contains("listening") }
            let producer = try BrokerClient(endpoint: deployment.frontend, curve: try ring.clientKeys("producer"))
            defer { producer.close() }
            _ = try await producer.submit(TaskRequest(prompt: "seen on the encrypted bus"), timeout: .seconds(30))
            try await waitUntil("the pool's task_completed reached bus tail") {
                tail.stdoutLines.contains { $0.contains("task_completed") && $0.contains("seen on the encrypted bus") }
            }
            #expect(await tail.stop() == 0)
        }
    }

    @Test("a client or pool the CURVE broker refuses is told why, not that no broker is there")
    func refusalsAreExplained() async throws {
        try await withSecureBroker { deployment, ring, _ in
            let keyless = try await runCommand(mahavishnuExecutable, ["pool", "list", "--broker", deployment.frontend])
            #expect(keyless.status != 0)
            #expect(keyless.stderr.contains("the broker at \(deployment.frontend) refused the connection: the broker requires CURVE and this connection has no keys; pass --keys DIR"), "\(keyless.stderr)")
            #expect(!keyless.stderr.contains("is it running?"))

            let stranger = try await runCommand(mahavishnuExecutable, ["pool", "list", "--json", "--broker", deployment.frontend, "--keys", ring.directory("stranger")])
            #expect(stranger.status != 0)
            let error = try jsonError(stranger)
            #expect(error.code == "handshake_failed")
            #expect(error.message.contains("refused this connection's CURVE key"), "\(error.message)")

            let plain = try ManagedProcess(name: "plaintext pool", executable: poolExecutable,
                                           arguments: ["--name", "plain", "--id", "pool_plain", "--broker", deployment.backend] + (deployment.settings.map { ["--settings", $0] } ?? []))
            defer { plain.send(SIGKILL) }
            try await waitUntil("the plaintext pool to give up on the broker three times", timeout: .seconds(60)) {
                plain.stderrTail.components(separatedBy: "broker silent").count - 1 >= 3
            }
            #expect(plain.stderrTail.components(separatedBy: "the broker refuses this pool's connection").count - 1 == 1, "said once: \(plain.stderrTail)")
            #expect(plain.stderrTail.contains("the broker requires CURVE and this connection has no keys"))
            await plain.stop()
        }
    }

    @Test("binding a non-loopback address without keys is refused with how to generate them; --insecure starts and warns")
    func insecureBind() async throws {
        let loopbackBus = ["--bus-pub", "tcp://127.0.0.1:*", "--bus-sub", "tcp://127.0.0.1:*"]
        let refused = try await runCommand(mahavishnuExecutable, ["broker", "--frontend", "tcp://0.0.0.0:*", "--backend", "tcp://127.0.0.1:*", "--http", "127.0.0.1:0"] + loopbackBus)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("refusing to bind tcp://0.0.0.0:*"))
        #expect(refused.stderr.contains("mahavishnu keys generate"))
        #expect(!refused.stdout.contains("broker ready"))

        let insecure = try ManagedProcess(name: "insecure broker", executable: mahavishnuExecutable,
                                          arguments: ["broker", "--frontend", "tcp://0.0.0.0:*", "--backend", "tcp://127.0.0.1:*", "--http", "127.0.0.1:0", "--insecure"] + loopbackBus)
        _ = try await insecure.line(startingWith: "broker ready")
        #expect(insecure.stderrTail.contains("running with --insecure"))
        #expect(await insecure.stop() == 0)
    }
}

@Suite("Every loopback form docs/security.md lists binds without keys", .serialized)
struct LoopbackFormTests {
    @Test("a broker on tcp://HOST:* for every endpoint: it binds, a pool registers and runs tasks, the bus answers",
          arguments: [("localhost", "tcp://127.0.0.1:"), ("[::1]", "tcp://[::1]:")])
    func loopbackForm(host: String, bound: String) async throws {
        try await Deployment.with(pools: [("loop", 1)], loopback: host) { deployment in
            for endpoint in [deployment.frontend, deployment.backend, deployment.busPub, deployment.busSub] {
                #expect(endpoint.hasPrefix(bound), "\(endpoint)")
            }
            let results = try await deployment.submit(count: 3, window: 3, selector: .leastLoaded)
            #expect(results.allSatisfy { $0.status == .completed && $0.poolID == "pool_loop" })
            let bus = try MessageBus(configuration: {
                var configuration = MessageBusConfiguration()
                configuration.publishEndpoint = deployment.busPub
                configuration.subscribeEndpoint = deployment.busSub
                return configuration
            }())
            defer { bus.close() }
            try await bus.roundTrip(timeout: .seconds(10))
        }
    }
}

extension Deployment {
    /// Starts a pool process with `keys` that the broker is expected to refuse; the caller stops it.
    func startPoolExpectingRefusal(name: String, keys: String) async throws -> ManagedProcess {
        try ManagedProcess(name: "pool \(name)", executable: mahavishnuExecutable,
                           arguments: ["pool", "run", "--name", name, "--id", "pool_\(name)", "--broker", backend, "--keys", keys]
                               + (settings.map { ["--settings", $0] } ?? []))
    }
}
