import Foundation
import MahavishnuCore
import Testing

@Suite("Bus messages, topics and payloads")
struct BusMessageTests {
    @Test("topics put type and target first, so a prefix selects a type, a target, or everyone")
    func topics() {
        #expect(BusTopic.topic(.taskCompleted, target: nil) == Array("task_completed//".utf8))
        #expect(BusTopic.topic(.taskDelegate, target: "pool_b") == Array("task_delegate/pool_b/".utf8))
        #expect(BusTopic.prefixes(.statusUpdate, scope: .all, identity: "pool_a") == [Array("status_update/".utf8)])
        #expect(BusTopic.prefixes(.statusUpdate, scope: .own, identity: "pool_a") == [Array("status_update//".utf8), Array("status_update/pool_a/".utf8)])
        #expect(BusTopic.prefixes(.resultShare, scope: .direct, identity: "pool_a") == [Array("result_share/pool_a/".utf8)])
        let own = BusTopic.prefixes(.taskDelegate, scope: .own, identity: "pool_a")
        #expect(!own.contains { BusTopic.topic(.taskDelegate, target: "pool_ab").starts(with: $0) }, "pool_a's prefixes do not match pool_ab")
    }

    @Test("ids with a slash, empty or too long cannot be targets")
    func ids() {
        #expect(BusTopic.problem(withID: "pool_a") == nil)
        #expect(BusTopic.problem(withID: "a/b")?.contains("must not contain '/'") == true)
        #expect(BusTopic.problem(withID: "") != nil)
        #expect(BusTopic.problem(withID: String(repeating: "x", count: 256)) != nil)
    }

    @Test("a message prints as one JSON object with the header's fields and its payload, and reads back the same")
    func json() throws {
        let payload = Heartbeat(probe: 0)
        let message = try BusMessage(type: .heartbeat, sourcePoolID: "broker", payload: payload, timestamp: Date(timeIntervalSince1970: 1_800_000_000.25))
        let line = try message.json()
        let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
        #expect(object?["type"] as? String == "heartbeat")
        #expect(object?["source_pool_id"] as? String == "broker")
        #expect(object?["target_pool_id"] == nil)
        #expect(object?["timestamp"] as? Double == 1_800_000_000.25)
        #expect((object?["payload"] as? [String: Any])?["probe"] as? Int == 0)
        let read = try BusMessage(json: line)
        #expect(read.header == message.header)
        #expect(try read.payload(as: Heartbeat.self) == payload)

        let targeted = try BusMessage(type: .resultShare, sourcePoolID: "pool_b", targetPoolID: "pool_a", payload: ResultShare(delegationID: "d", error: "no"))
        #expect(try BusMessage(json: targeted.json()).targetPoolID == "pool_a")
        #expect(throws: DecodingError.self) { try BusMessage(json: Array(#"{"type": "heartbeat"}"#.utf8)) }
    }

    @Test("task_completed carries what the memory store keeps, with start and end times")
    func taskCompleted() throws {
        let result = TaskResult(taskID: "t", poolID: "pool_a", workerID: "pool_a.w1", status: .failed, output: "", error: "boom", duration: 2)
        let event = TaskCompletedEvent(result: result, poolName: "a", prompt: "p", completedAt: Date(timeIntervalSince1970: 100))
        #expect(event.startedAt == 98)
        let json = try JSONSerialization.jsonObject(with: Data(JSONCoding.encode(event))) as? [String: Any]
        #expect(Set(json?.keys.map { $0 } ?? []) == ["task_id", "pool_id", "pool_name", "worker_id", "status", "error", "duration", "prompt", "output", "started_at", "completed_at"])
    }
}
