import MahavishnuCore
import Testing

@Suite("TaskJSON matches JSONCoding")
struct TaskJSONTests {
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
        #expect(try TaskJSON.encode(result) == JSONCoding.encode(result))
    }

    @Test("a duration JSONEncoder refuses is refused the same way")
    func nonFiniteDuration() {
        let result = TaskResult(taskID: "x", poolID: "p", workerID: "p.w0", status: .completed, output: "", duration: .nan)
        #expect(throws: (any Error).self) { try TaskJSON.encode(result) }
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
        #expect(try TaskJSON.decodeTask(bytes) == JSONCoding.decode(TaskRequest.self, from: bytes))
    }

    @Test("bodies JSONDecoder refuses are refused", arguments: [
        "", "[]", "null", #"{"prompt":1}"#, #"{"prompt":null}"#, #"{"sleep_ms":5}"#, #"{"prompt":"x""#,
        #"{"prompt":"\ud800"}"#, #"{"prompt":"\u12G4"}"#, #"{"prompt":"x","sleep_ms":"5"}"#,
        #"{"prompt":"x"} trailing"#, #"{"prompt":"x","crash":1}"#, #"{"prompt":"x","timeout":1e400}"#, "{\"prompt\":\"tab\there\"}",
    ])
    func refusesLikeJSONDecoder(body: String) {
        let bytes = Array(body.utf8)
        #expect(throws: (any Error).self) { try JSONCoding.decode(TaskRequest.self, from: bytes) }
        #expect(throws: (any Error).self) { try TaskJSON.decodeTask(bytes) }
    }

    @Test("invalid UTF-8 is refused like JSONDecoder refuses it")
    func invalidUTF8() {
        let bytes = Array(#"{"prompt":""#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8)
        #expect(throws: (any Error).self) { try JSONCoding.decode(TaskRequest.self, from: bytes) }
        #expect(throws: (any Error).self) { try TaskJSON.decodeTask(bytes) }
    }
}
