import Foundation
import Mahavishnu
import Testing

/// What docs/protocol.md promises a third-party producer or pool, checked frame by frame.
@Suite("The wire protocol as documented", .serialized)
struct ProtocolConformanceTests {
    /// The error code and reference of an `ERROR` reply, or a description of what came instead.
    private static func error(_ reply: [String]) -> (code: String, reference: String) {
        reply.count == 5 && reply[0] == "MHV1" && reply[1] == "ERROR" ? (reply[3], reply[2]) : ("not an ERROR: \(reply)", "")
    }

    @Test("producers: any non-MHV1 first frame is unsupported_version; ids are checked; errors name the id they are about")
    func producerMessages() async throws {
        try await Deployment.with(pools: [("alpha", 1)]) { deployment in
            let replies = try await RawPeer.session(deployment.frontend) { peer in
                try [
                    ["hello"],
                    ["MHV1", "CTRL", "", "list", "{}"],
                    ["MHV1", "CTRL", String(repeating: "r", count: 256), "list", "{}"],
                    ["MHV1", "TASK", "t-fallback", "affinity", "alpha", "bogus", #"{"prompt":"x"}"#],
                    ["MHV1", "TASK", "t-short", "round_robin"],
                    ["MHV1", "EXPLODE", "r-explode"],
                    ["MHV1", "CTRL", "r-short", "list"],
                ].map { message in
                    try peer.send(message)
                    return Self.error(try peer.receiveStrings())
                }
            }
            #expect(replies.map(\.code) == ["unsupported_version", "bad_request", "bad_request", "invalid_selector", "bad_request", "unknown_command", "bad_request"])
            #expect(replies.map(\.reference) == ["", "", "", "t-fallback", "t-short", "r-explode", "r-short"])
            let results = try await deployment.submit(count: 4, window: 2, selector: .affinity, affinity: "alpha")
            #expect(results.allSatisfy { $0.status == .completed })
        }
    }

    @Test("pools: READY and CAPACITY are validated, every refusal is bad_request naming the field, and the broker keeps serving")
    func poolMessages() async throws {
        try await Deployment.with(pools: [("alpha", 1)]) { deployment in
            @Sendable func ready(_ id: String, name: String = "rv", workers: Int = 1, min: Int = 1, max: Int = 4, busy: Int = 0) -> [String] {
                ["MHV1", "READY", #"{"pool_id":"\#(id)","name":"\#(name)","type":"mahavishnu","worker_type":"echo","min_workers":\#(min),"max_workers":\#(max),"workers":\#(workers),"busy":\#(busy),"pid":1,"host":"h"}"#]
            }
            let cases: [(routingID: String, message: [String], mentions: String)] = [
                ("rv/slash", ready("rv/slash"), "pool_id"),
                ("rv-empty", ready("rv-empty", name: ""), "name"),
                ("rv-long", ready("rv-long", name: String(repeating: "n", count: 300)), "name"),
                ("rv-dots", ready("rv-dots", name: "../../x"), "name"),
                ("rv-neg", ready("rv-neg", workers: -1), "workers"),
                ("rv-minmax", ready("rv-minmax", min: 5, max: 2), "max_workers"),
                ("rv-over", ready("rv-over", workers: 9, max: 4), "workers"),
                ("rv-busy", ready("rv-busy", max: 4, busy: 7), "busy"),
                ("rv-huge", ready("rv-huge", workers: 1, max: 100_000), "max_workers"),
            ]
            for (routingID, message, mentions) in cases {
                let reply = try await RawPeer.session(deployment.backend, routingID: routingID) { peer in
                    try peer.send(message)
                    return try peer.receiveStrings()
                }
                #expect(Self.error(reply).code == "bad_request", "\(routingID): \(reply)")
                #expect(reply.last?.contains(mentions) == true, "\(routingID) should name \(mentions): \(reply)")
            }
            let capacity = try await RawPeer.session(deployment.backend, routingID: "rv-capacity") { peer in
                try peer.send(ready("rv-capacity"))
                let welcome = try peer.receiveStrings()
                try peer.send(["MHV1", "CAPACITY", "9"])
                return (welcome, try peer.receiveSkippingHeartbeats())
            }
            #expect(capacity.0.prefix(2) == ["MHV1", "WELCOME"])
            #expect(Self.error(capacity.1).code == "bad_request")
            #expect(capacity.1.last?.contains("max_workers (4)") == true)
            #expect(try await deployment.pools().keys.sorted() == ["alpha", "rv"])
            let results = try await deployment.submit(count: 4, window: 2, selector: .affinity, affinity: "alpha")
            #expect(results.allSatisfy { $0.status == .completed })
        }
    }

    @Test("WELCOME carries the heartbeat terms; a repeated READY of one session is welcomed again and keeps the pool's tasks")
    func welcomeAndRepeatedReady() async throws {
        try await Deployment.with(pools: [], settings: fastFailureSettings) { deployment in
            let client = deployment.client
            let outcome = try await RawPeer.session(deployment.backend, routingID: "pool_rv") { peer in
                let ready = ["MHV1", "READY", #"{"pool_id":"pool_rv","name":"rv","type":"mahavishnu","worker_type":"echo","min_workers":1,"max_workers":1,"workers":1,"pid":1,"host":"h","session":"s1"}"#]
                try peer.send(ready)
                let welcome = try peer.receiveStrings()
                let task = Task { try await client.submit(TaskRequest(prompt: "kept"), taskID: "kept-1", selector: .affinity, affinity: "rv", timeout: .seconds(30)) }
                let dispatched = try peer.receiveSkippingHeartbeats()
                try peer.send(ready)
                let again = try peer.receiveSkippingHeartbeats()
                try peer.send(["MHV1", "RESULT", "kept-1", #"{"task_id":"kept-1","pool_id":"pool_rv","worker_id":"pool_rv.w0","status":"completed","output":"kept","duration":0}"#])
                return (welcome, dispatched, again, task)
            }
            let terms = try JSONCoding.decode(WelcomeTerms.self, from: Array(outcome.0[2].utf8))
            #expect(outcome.0.prefix(2) == ["MHV1", "WELCOME"])
            #expect(terms == WelcomeTerms(heartbeatInterval: .milliseconds(200), liveness: 5, maxResultBytes: 16 << 20))
            #expect(outcome.1.prefix(3) == ["MHV1", "TASK", "kept-1"])
            #expect(outcome.2.prefix(2) == ["MHV1", "WELCOME"])
            let result = try await outcome.3.value
            #expect(result.output == "kept" && result.attempts == 1, "the repeated READY did not reclaim the running task")
            #expect(deployment.broker.stdoutLines.filter { $0.hasPrefix("pool ready name=rv") }.count == 1)
        }
    }

    @Test("spawn refuses names that are not plain and pools larger than the limit")
    func spawnValidation() async throws {
        try await Deployment.with(pools: []) { deployment in
            for (name, max, mentions) in [("../../x", 2, "name"), ("ok", 100_000, "max_workers")] {
                let refusal = await #expect(throws: BrokerClientError.self) {
                    _ = try await deployment.client.control(.spawn, arguments: JSONCoding.encode(PoolConfig(name: name, poolType: "mahavishnu", minWorkers: 1, maxWorkers: max, workerType: "echo")), as: PoolIdentity.self)
                }
                #expect(refusal?.code == .invalidArgument)
                #expect(refusal?.description.contains(mentions) == true, "\(String(describing: refusal))")
            }
        }
    }

    @Test("close and close_all name a broker-started pool by its name, not its id")
    func closeRepliesNameThePool() async throws {
        try await Deployment.with(pools: []) { deployment in
            let manager = try PoolManager(broker: deployment.frontend)
            defer { manager.close() }
            let first = try await manager.spawnPool("mahavishnu", config: PoolConfig(name: "first", minWorkers: 1, maxWorkers: 1))
            _ = try await manager.spawnPool("mahavishnu", config: PoolConfig(name: "second", minWorkers: 1, maxWorkers: 1))
            let closed = try await deployment.client.control(.close, arguments: JSONCoding.encode(PoolReference(pool: first)), as: PoolIdentity.self, timeout: .seconds(60))
            #expect(closed.name == "first" && closed.poolID == first)
            let all = try await deployment.client.control(.closeAll, as: ClosedPools.self, timeout: .seconds(60))
            #expect(all.closed.map(\.name) == ["second"])
        }
    }

    @Test("info tells where the broker listens; task reports a task's state by id")
    func infoAndTask() async throws {
        try await Deployment.with(pools: [("a", 1)]) { deployment in
            let info = try await deployment.client.info()
            #expect(info.frontend == deployment.frontend && info.backend == deployment.backend)
            #expect(info.busPub == deployment.busPub && info.busSub == deployment.busSub)
            #expect(info.version == MahavishnuVersion.current)
            #expect(info.memoryDatabasePath?.hasSuffix("memory.sqlite") == true)
            let unknown = try await deployment.client.task("never-sent")
            #expect(unknown.state == .unknown && unknown.result == nil)
            let running = Task { try await deployment.client.submit(TaskRequest(prompt: "slow", sleepMilliseconds: 1_500), taskID: "slow-1", timeout: .seconds(30)) }
            try await waitUntil("slow-1 is running") { try await deployment.client.task("slow-1").state == .running }
            let waiting = Task { try await deployment.client.submit(TaskRequest(prompt: "next"), taskID: "next-1", timeout: .seconds(30)) }
            try await waitUntil("next-1 is queued") { try await deployment.client.task("next-1").state == .queued }
            #expect(try await deployment.client.task("slow-1").poolID == "pool_a")
            _ = try await running.value
            _ = try await waiting.value
            let done = try await deployment.client.task("slow-1")
            #expect(done.state == .completed && done.attempts == 1 && done.poolID == "pool_a")
            #expect(done.result?.output == "slow")
        }
    }

    @Test("mahavishnu task get waits for a task submitted elsewhere and prints its result; an unknown id exits 1")
    func taskGetCommand() async throws {
        try await Deployment.with(pools: [("a", 1)]) { deployment in
            let running = Task { try await deployment.client.submit(TaskRequest(prompt: "later", sleepMilliseconds: 500), taskID: "cli-1", timeout: .seconds(30)) }
            try await waitUntil("cli-1 was accepted") { try await deployment.client.task("cli-1").state != .unknown }
            let got = try await runCommand(mahavishnuExecutable, ["task", "get", "cli-1", "--wait", "20", "--json", "--broker", deployment.frontend])
            #expect(got.status == 0, "\(got.stderr)")
            let report = try JSONCoding.decode(TaskReport.self, from: Array(got.stdout.utf8))
            #expect(report.state == .completed && report.result?.output == "later" && report.poolID == "pool_a")
            _ = try await running.value
            let unknown = try await runCommand(mahavishnuExecutable, ["task", "get", "no-such-task", "--broker", deployment.frontend])
            #expect(unknown.status == 1)
            #expect(unknown.stdout.contains("unknown") && unknown.stderr.contains("no-such-task"))
        }
    }
}
