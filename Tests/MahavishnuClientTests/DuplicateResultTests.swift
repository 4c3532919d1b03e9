import Foundation
import Synchronization
import MahavishnuClient
import Testing
import ZeroMQ

/// A stand-in broker frontend on loopback that answers every `TASK` with its `RESULT` three
/// times, as a real broker does for a producer that resent a task it had just finished. Its
/// socket lives on its own thread, which ends after `expectedTasks` answers.
private func startEchoingFrontend(expectedTasks: Int) throws -> String {
    let bound = Mutex<Result<String, any Error>?>(nil)
    let ready = DispatchSemaphore(value: 0)
    Thread {
        do {
            let context = try Context()
            // Lingers so that the last answers still queued when the loop ends are sent before
            // the context closes (with no linger they could be dropped, and their task wait forever).
            let socket = try Socket(context, type: .router, linger: 5_000)
            defer { socket.close() }
            try socket.bind("tcp://127.0.0.1:*")
            try socket.set(.receiveTimeout, Int32(20_000))
            let endpoint = try socket.lastEndpoint
            bound.withLock { $0 = .success(endpoint) }
            ready.signal()
            var answered = 0
            while answered < expectedTasks, let frames = try socket.receiveMultipart() {
                guard frames.count == 8, frames[2] == Wire.Command.task else { continue }
                let taskID = String(decoding: frames[3], as: UTF8.self)
                let body = Array(#"{"task_id":"\#(taskID)","pool_id":"pool_x","worker_id":"pool_x.w0","status":"completed","output":"\#(taskID)","duration":0}"#.utf8)
                for _ in 0..<3 { _ = try socket.send(multipart: [frames[0], Wire.version, Wire.Command.result, frames[3], Array("1".utf8), body]) }
                answered += 1
            }
        } catch {
            bound.withLock { if $0 == nil { $0 = .failure(error) } }
            ready.signal()
        }
    }.start()
    ready.wait()
    return try bound.withLock { $0! }.get()
}

@Suite("A producer gets one final result per task id")
struct DuplicateResultTests {
    @Test("duplicate RESULTs for an id (answers to resends) complete its request once; every request gets its own result")
    func duplicatesAreDropped() async throws {
        let endpoint = try startEchoingFrontend(expectedTasks: 40)
        let client = try BrokerClient(endpoint: endpoint, retryInterval: nil)
        defer { client.close() }
        let outputs = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<40 {
                group.addTask { try await client.submit(body: Array(#"{"prompt":"x"}"#.utf8), taskID: "dup-\(index)", timeout: .seconds(20)).output }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(outputs.sorted() == (0..<40).map { "dup-\($0)" }.sorted())
    }
}
