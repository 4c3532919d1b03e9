import Foundation
import MahavishnuCore
import Testing

@Suite("JSONCoding's fast paths match JSONEncoder and JSONDecoder")
struct FastJSONTests {
    /// Every ASCII character, escapes and non-ASCII text, in one string.
    static let awkwardText: String = {
        var text = String(String.UnicodeScalarView((0..<0x80).compactMap(Unicode.Scalar.init)))
        text += "é€😀\u{2028}\u{2029} \\ / \"quoted\""
        return text
    }()

    /// An `exec` worker's result, with every optional field set.
    static let exec: TaskResult = {
        var result = TaskResult(taskID: "e", poolID: "p", workerID: "p.w2", status: .failed, output: "partial", error: "exit 3", duration: 0.25)
        result.exitCode = 3
        result.stderr = "warning: \"x\"\n"
        result.outputTruncated = true
        result.stderrTruncated = false
        result.attempts = 1
        return result
    }()

    @Test("results encode byte for byte like JSONEncoder", arguments: [
        TaskResult(taskID: "t-1", poolID: "pool_a", workerID: "pool_a.w0", status: .completed, output: "Write code", duration: 0.000031),
        TaskResult(taskID: awkwardText, poolID: "p", workerID: "p.w9", status: .failed, output: awkwardText, error: awkwardText, duration: 0),
        TaskResult(taskID: "x", poolID: "p", workerID: "p.w1", status: .timeout, output: "", error: "too slow", duration: 300, attempts: 2),
        TaskResult(taskID: "x", poolID: "p", workerID: "p.w1", status: .completed, output: "", duration: 1e21),
        TaskResult(taskID: "x", poolID: "p", workerID: "p.w1", status: .completed, output: "", duration: 12345.678),
        TaskResult(taskID: "x", poolID: "p", workerID: "p.w1", status: .completed, output: "", duration: .leastNonzeroMagnitude * 5),
        exec,
    ])
    func encodesLikeJSONEncoder(result: TaskResult) throws {
        #expect(try JSONCoding.encode(result) == Reference.encode(result))
    }

    @Test("a duration JSONEncoder refuses is refused the same way")
    func nonFiniteDuration() {
        let result = TaskResult(taskID: "x", poolID: "p", workerID: "p.w0", status: .completed, output: "", duration: .nan)
        #expect(throws: (any Error).self) { try JSONCoding.encode(result) }
    }

    @Test("task bodies decode to what JSONDecoder decodes", arguments: [
        #"{"prompt":"bench"}"#,
        #" { "prompt" : "Write code" , "sleep_ms" : 5 , "timeout" : 1.5e2 } "#,
        #"{"sleep_ms":null,"timeout":null,"prompt":""}"#,
        #"{"prompt":"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00","extra":[1,{"x":2}],"flag":true}"#,
        #"{"prompt":"x","other":"y","n":-0.5e-3,"ok":false,"none":null}"#,
        #"{"prompt":"x","sleep_ms":-0}"#,
        #"{"prompt":"x","sleep_ms":2.0}"#,
        #"{"prompt":"x","timeout":0}"#,
        #"{"pro\u006dpt":"escaped key"}"#,
        #"{"prompt":"é€😀 raw UTF-8"}"#,
        #"{"prompt":"JSONDecoder allows a trailing comma",}"#,
        #"{"prompt":"x","crash":true}"#,
        #"{"prompt":"x","crash":null,"timeout":2}"#,
        #"{"prompt":"x","delegate_to":"heavy"}"#,
        #"{"delegate_to":null,"prompt":"x"}"#,
    ])
    func decodesLikeJSONDecoder(body: String) throws {
        let bytes = Array(body.utf8)
        #expect(try JSONCoding.decode(TaskRequest.self, from: bytes) == Reference.decode(TaskRequest.self, from: bytes))
    }

    @Test("bodies JSONDecoder refuses are refused", arguments: [
        "", "[]", "null", #"{"prompt":1}"#, #"{"prompt":null}"#, #"{"sleep_ms":5}"#, #"{"prompt":"x""#,
        #"{"prompt":"\ud800"}"#, #"{"prompt":"\u12G4"}"#, #"{"prompt":"x","sleep_ms":"5"}"#,
        #"{"prompt":"x"} trailing"#, #"{"prompt":"x","crash":1}"#, #"{"prompt":"x","timeout":1e400}"#, "{\"prompt\":\"tab\there\"}",
    ])
    func refusesLikeJSONDecoder(body: String) {
        let bytes = Array(body.utf8)
        #expect(throws: (any Error).self) { try Reference.decode(TaskRequest.self, from: bytes) }
        #expect(throws: (any Error).self) { try JSONCoding.decode(TaskRequest.self, from: bytes) }
    }

    @Test("invalid UTF-8 is refused like JSONDecoder refuses it")
    func invalidUTF8() {
        let bytes = Array(#"{"prompt":""#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8)
        #expect(throws: (any Error).self) { try Reference.decode(TaskRequest.self, from: bytes) }
        #expect(throws: (any Error).self) { try JSONCoding.decode(TaskRequest.self, from: bytes) }
    }

    static let completed = TaskCompletedEvent(
        result: TaskResult(taskID: "t-1", poolID: "pool_a", workerID: "pool_a.w0", status: .completed, output: "Write code", duration: 0.000031),
        poolName: "a", prompt: "Write code", completedAt: Date(timeIntervalSince1970: 1_764_390_000.123456)
    )

    @Test("task_completed events and bus headers encode byte for byte like JSONEncoder")
    func busMessagesEncodeLikeJSONEncoder() throws {
        var awkward = Self.completed
        (awkward.taskID, awkward.poolName, awkward.prompt, awkward.output, awkward.error) = (Self.awkwardText, Self.awkwardText, Self.awkwardText, "", Self.awkwardText)
        awkward.status = .failed
        for event in [Self.completed, awkward] {
            #expect(try JSONCoding.encode(event) == Reference.encode(event))
        }
        for header in [
            BusHeader(type: .taskCompleted, sourcePoolID: "pool_a", targetPoolID: nil, timestamp: Date(timeIntervalSince1970: 1_764_390_000.5)),
            BusHeader(type: .taskDelegate, sourcePoolID: Self.awkwardText, targetPoolID: "pool_b", timestamp: Date(timeIntervalSince1970: 0)),
        ] {
            #expect(try JSONCoding.encode(header) == Reference.encode(header))
        }
    }

    @Test("task_completed events and bus headers decode to what JSONDecoder decodes", arguments: [
        #"{"completed_at":1764390000.123,"duration":3.1e-05,"output":"o","pool_id":"p","pool_name":"n","prompt":"q","started_at":1764390000,"status":"completed","task_id":"t","worker_id":"p.w0"}"#,
        #"{"error":null,"completed_at":1,"duration":0,"output":"o\n","pool_id":"p","pool_name":"n","prompt":"\u00e9","started_at":1,"status":"failed","task_id":"t","worker_id":"w","extra":[1]}"#,
        #"{"error":"boom","completed_at":1,"duration":0,"output":"","pool_id":"p","pool_name":"n","prompt":"","started_at":1,"status":"timeout","task_id":"t","worker_id":"w","new_field":true}"#,
    ])
    func eventsDecodeLikeJSONDecoder(body: String) throws {
        let bytes = Array(body.utf8)
        #expect(try JSONCoding.decode(TaskCompletedEvent.self, from: bytes) == Reference.decode(TaskCompletedEvent.self, from: bytes))
    }

    @Test("bus headers decode to what JSONDecoder decodes", arguments: [
        #"{"source_pool_id":"pool_a","timestamp":1764390000.5,"type":"task_completed"}"#,
        #"{"type":"task_delegate","target_pool_id":"b","source_pool_id":"a\"x","timestamp":0}"#,
        #"{"type":"task_delegate","target_pool_id":null,"source_pool_id":"a","timestamp":-1.5e3,"later":"field"}"#,
    ])
    func headersDecodeLikeJSONDecoder(body: String) throws {
        let bytes = Array(body.utf8)
        #expect(try JSONCoding.decode(BusHeader.self, from: bytes) == Reference.decode(BusHeader.self, from: bytes))
    }

    @Test("events and headers JSONDecoder refuses are refused", arguments: [
        #"{"source_pool_id":"a","timestamp":1,"type":"no_such_type"}"#,
        #"{"source_pool_id":"a","type":"task_completed"}"#,
        #"{"source_pool_id":1,"timestamp":1,"type":"task_completed"}"#,
        #"{"completed_at":1,"duration":0,"output":"o","pool_id":"p","pool_name":"n","prompt":"q","started_at":1,"status":"lost?","task_id":"t","worker_id":"w"}"#,
        #"{"completed_at":"1","duration":0,"output":"o","pool_id":"p","pool_name":"n","prompt":"q","started_at":1,"status":"completed","task_id":"t","worker_id":"w"}"#,
    ])
    func refusesEventsLikeJSONDecoder(body: String) {
        let bytes = Array(body.utf8)
        #expect(throws: (any Error).self) { try Reference.decode(BusHeader.self, from: bytes) }
        #expect(throws: (any Error).self) { try JSONCoding.decode(BusHeader.self, from: bytes) }
        #expect(throws: (any Error).self) { try Reference.decode(TaskCompletedEvent.self, from: bytes) }
        #expect(throws: (any Error).self) { try JSONCoding.decode(TaskCompletedEvent.self, from: bytes) }
    }

    @Test("JSON validity matches JSONSerialization", arguments: [
        ("{}", true), ("3", true), (#""s""#, true), (#"{"a":[1,{"b":null}],"c":"\u00e9"}"#, true), ("[[[[]]]]", true), ("[1,]", true), // Foundation allows a trailing comma
        ("", false), ("{", false), (#"{"a":}"#, false), ("nul", false), (#"{"a":1} x"#, false),
        (String(repeating: "[", count: 100) + String(repeating: "]", count: 100), true),
    ])
    func validity(text: String, valid: Bool) {
        let bytes = Array(text.utf8)
        #expect(JSONCoding.isValid(bytes) == valid)
        #expect(((try? JSONSerialization.jsonObject(with: Data(bytes), options: .fragmentsAllowed)) != nil) == valid)
    }
}

/// Foundation's Codable JSON with `JSONCoding`'s settings: what the fast paths must match.
enum Reference {
    static func encode(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }
}
