import Foundation
import Mahavishnu
import Testing

@Suite("Bad input on both broker sockets", .serialized)
struct MalformedInputTests {
    @Test("malformed producer messages get specific errors, are counted, and the broker keeps serving")
    func malformedFrontend() async throws {
        try await Deployment.with(pools: [("a", 2)]) { deployment in
            let replies = try await RawPeer.session(deployment.frontend) { peer in
                var replies: [[String]] = []
                for message: [String] in [
                    ["garbage"],
                    ["MHV9", "TASK", "t1", "", "", "", "{}"],
                    ["MHV1"],
                    ["MHV1", "EXPLODE", "x"],
                    ["MHV1", "TASK", "t2", "round_robin"],
                    ["MHV1", "TASK", "", "", "", "", "{}"],
                    ["MHV1", "TASK", String(repeating: "x", count: 300), "", "", "", "{}"],
                    ["MHV1", "CTRL", "r1", "self_destruct", "{}"],
                    ["MHV1", "TASK", "t3", "affinity", "", "", "{}"],
                ] {
                    try peer.send(message)
                    replies.append(try peer.receiveStrings())
                }
                try peer.send([[UInt8]](repeating: [1, 2, 3], count: 40))
                replies.append(try peer.receiveStrings())
                return replies
            }
            let codes = replies.map { $0.count == 5 && $0[0] == "MHV1" && $0[1] == "ERROR" ? $0[3] : "not an ERROR: \($0)" }
            // Any first frame but MHV1 is unsupported_version, however many frames follow it.
            #expect(codes == [
                "unsupported_version", "unsupported_version", "bad_request", "unknown_command", "bad_request",
                "bad_request", "bad_request", "unknown_command", "bad_request", "unsupported_version",
            ])
            #expect(replies[7][2] == "r1")
            #expect(replies[7][4].contains("self_destruct"))
            #expect(replies[8][2] == "t3")
            let stats = try await deployment.stats()
            #expect(stats.malformedFrontend == 9)
            #expect(stats.tasksRefusedInvalid == 1)
            let results = try await deployment.submit(count: 10, window: 5, selector: .leastLoaded)
            #expect(results.allSatisfy { $0.status == .completed })
        }
    }

    @Test("malformed pool messages get specific errors, are counted, and the broker keeps serving")
    func malformedBackend() async throws {
        try await Deployment.with(pools: [("a", 2)]) { deployment in
            let replies = try await RawPeer.session(deployment.backend, routingID: "pool_rogue") { peer in
                var replies: [[String]] = []
                for message: [String] in [
                    ["garbage", "more"],
                    ["MHV1", "RESULT", "t1", "{}"],
                    ["MHV1", "READY", "{not json"],
                    ["MHV1", "READY", #"{"pool_id":"pool_other","name":"x","type":"t","worker_type":"echo","min_workers":1,"max_workers":1,"workers":1,"pid":1,"host":"h"}"#],
                    ["MHV1", "READY", #"{"pool_id":"pool_rogue","name":"a","type":"t","worker_type":"echo","min_workers":1,"max_workers":1,"workers":1,"pid":1,"host":"h"}"#],
                    ["MHV1", "DANCE"],
                ] {
                    try peer.send(message)
                    replies.append(try peer.receiveStrings())
                }
                return replies
            }
            #expect(replies.map { $0.count == 5 ? $0[3] : "\($0)" } == [
                "unsupported_version", "not_registered", "bad_request", "bad_request", "duplicate_pool_name", "unknown_command",
            ])
            #expect(replies[4][4].contains("pool_a"))
            #expect(try await deployment.stats().malformedBackend == 4)
            #expect(try await deployment.pools().keys.sorted() == ["a"])
            let results = try await deployment.submit(count: 10, window: 5, selector: .roundRobin)
            #expect(results.allSatisfy { $0.status == .completed && $0.poolID == "pool_a" })
        }
    }

    @Test("a body that is not a task object fails that task with a clear error, and the pool keeps serving")
    func badTaskBody() async throws {
        try await Deployment.with(pools: [("a", 1)]) { deployment in
            let result = try await deployment.client.submit(body: Array("not json".utf8), timeout: .seconds(30))
            #expect(result.status == .failed)
            #expect(result.error?.contains("'prompt'") == true)
            let next = try await deployment.client.submit(TaskRequest(prompt: "still here"), timeout: .seconds(30))
            #expect(next.output == "still here")
        }
    }

    @Test("a task field of the wrong type is named with the type it needs, by the pool and by the CLI", arguments: [
        (#"{"prompt": "x", "timeout": "soon"}"#, "field 'timeout' has the wrong type; it must be a number of seconds"),
        (#"{"prompt": 3}"#, "field 'prompt' has the wrong type; it must be a string"),
        (#"{"timeout": 5}"#, "field 'prompt' is missing; it must be a string"),
        (#"{"prompt": "x", "sleep_ms": 1.5}"#, "field 'sleep_ms' has the wrong type; it must be a whole number of milliseconds"),
    ])
    func wrongFieldType(body: String, message: String) async throws {
        try await Deployment.with(pools: [("a", 1)]) { deployment in
            let result = try await deployment.client.submit(body: Array(body.utf8), timeout: .seconds(30))
            #expect(result.status == .failed)
            #expect(result.error == "invalid task body: \(message)")
            let cli = try await runCommand(mahavishnuExecutable, ["pool", "route", "--task", body, "--broker", deployment.frontend])
            #expect(cli.status != 0)
            #expect(cli.stderr.contains("--task: \(message)"), "\(cli.stderr)")
        }
    }

    @Test("a REQ socket's empty delimiter frame is accepted and repeated in the reply")
    func reqSocketEnvelope() async throws {
        try await Deployment.with(pools: [("a", 1)]) { deployment in
            let reply = try await RawPeer.exchange(
                ["MHV1", "TASK", "req-1", "", "", "", #"{"prompt":"from REQ"}"#].map { Array($0.utf8) },
                with: deployment.frontend, type: .req
            )
            #expect(reply.count == 5)
            #expect(String(decoding: reply[1], as: UTF8.self) == "RESULT")
            #expect(String(decoding: reply[4], as: UTF8.self).contains("from REQ"))
        }
    }
}
