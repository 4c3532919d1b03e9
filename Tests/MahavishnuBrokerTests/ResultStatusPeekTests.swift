@testable import MahavishnuBroker
import MahavishnuCore
import Testing
import ZeroMQ

/// The status a result's JSON gives, read without decoding it: what the per-pool counters count.
@Suite("result status peek")
struct ResultStatusPeekTests {
    @Test("a result's status is read from its JSON, whatever its output holds", arguments: TaskStatus.allCases)
    func status(_ status: TaskStatus) throws {
        let output = #"a "status":"failed" inside the output, {"status":"timeout"} too"#
        let result = TaskResult(taskID: "t", poolID: "p", workerID: "w", status: status, output: output, duration: 0.5)
        #expect(ResultStatusPeek.status(of: Payload(try JSONCoding.encode(result))) == status)
    }

    @Test("spaces around the colon are allowed; a body without a known status gives none")
    func others() {
        #expect(ResultStatusPeek.status(of: Payload(Array(#"{"status" : "timeout", "task_id": "t"}"#.utf8))) == .timeout)
        for body in [#"{"status":"exploded"}"#, #"{"output":"x"}"#, "", #"{"status":3}"#] {
            #expect(ResultStatusPeek.status(of: Payload(Array(body.utf8))) == nil, "\(body)")
        }
    }
}
