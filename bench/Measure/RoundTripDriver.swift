import MahavishnuCore
import ZeroMQ

/// A producer: one DEALER that sends `exchange` requests and checks every reply.
///
/// Latency is timed one round trip at a time; throughput keeps `window` requests in flight.
/// Every reply must carry the right command and an id that was sent and not yet answered.
final class RoundTripDriver {
    private let socket: Socket
    private let exchange: Exchange
    private let target: String
    private let frames = Frames(capacity: 16)
    /// Ids are `<tag>-<n>`: the tag keeps two drivers on one broker apart.
    private let idPrefix: [UInt8]
    private var nextID = 0

    /// Connects to `endpoint`; `target` names it in error messages.
    init(context: Context, endpoint: String, exchange: Exchange, target: String, replyTimeoutMilliseconds: Int32 = 30_000) throws {
        self.exchange = exchange
        self.target = target
        idPrefix = Array("\(String(UInt32.random(in: .min ... .max), radix: 16))-".utf8)
        socket = try Socket(context, type: .dealer, linger: 0)
        do {
            try socket.set(.sendHighWaterMark, 0)
            try socket.set(.receiveHighWaterMark, 0)
            try socket.set(.receiveTimeout, replyTimeoutMilliseconds)
            try socket.connect(endpoint)
        } catch {
            socket.close()
            throw error
        }
    }

    func close() { socket.close() }

    /// Sends `count` requests and reads no reply (tasks that wait in a broker with no pools).
    func sendWithoutReplies(_ count: Int) throws {
        for _ in 0..<count { try send() }
    }

    /// `warmUp` untimed round trips, then `samples` timed ones, one at a time.
    func latency(samples: Int, warmUp: Int) throws -> LatencySummary {
        for _ in 0..<warmUp { try roundTrip() }
        var recorder = LatencyRecorder()
        for _ in 0..<samples {
            let started = MonotonicClock.nanoseconds()
            try roundTrip()
            recorder.record(nanoseconds: MonotonicClock.nanoseconds() - started)
        }
        return recorder.summary()
    }

    /// Sends `tasks` requests with at most `window` in flight; returns requests answered per second.
    func throughput(tasks: Int, window: Int) throws -> Double {
        let first = nextID
        var answered = [Bool](repeating: false, count: tasks)
        var sent = 0, received = 0
        let started = MonotonicClock.nanoseconds()
        while sent < min(window, tasks) {
            try send()
            sent += 1
        }
        while received < tasks {
            let index = try receiveReply() - first
            guard (0..<tasks).contains(index), !answered[index] else {
                throw BenchError("\(target) answered request \(index + first) twice or out of range")
            }
            answered[index] = true
            received += 1
            if sent < tasks {
                try send()
                sent += 1
            }
        }
        let elapsed = MonotonicClock.nanoseconds() - started
        return Double(tasks) / (Double(elapsed) / 1e9)
    }

    private func roundTrip() throws {
        let id = try send()
        let answer = try receiveReply()
        guard answer == id else { throw BenchError("\(target) answered request \(answer) while \(id) was the only one in flight") }
    }

    @discardableResult
    private func send() throws -> Int {
        let id = nextID
        nextID += 1
        for frame in exchange.head { try socket.send(frame, more: true) }
        try socket.send(idPrefix + Array(String(id).utf8), more: true)
        let tail = exchange.tails[id % exchange.tails.count]
        for (index, frame) in tail.enumerated() { try socket.send(frame, more: index < tail.count - 1) }
        return id
    }

    /// Receives one reply, checks it, and returns the number in its id.
    private func receiveReply() throws -> Int {
        guard try socket.receive(into: frames) else { throw BenchError("no reply from \(target) within the reply timeout") }
        guard frames.count >= 3, frames.frame(0, equals: Wire.version) else {
            throw BenchError("\(target) sent a malformed reply (\(frames.count) frames)")
        }
        if frames.frame(1, equals: Wire.Command.error), frames.count == 5 {
            throw Refusal(target: target, code: frames.string(3), message: frames.string(4))
        }
        guard frames.frame(1, equals: exchange.replyCommand) else {
            throw BenchError("\(target) replied '\(frames.string(1))', expected '\(String(decoding: exchange.replyCommand, as: UTF8.self))'")
        }
        return try frames.withBytes(2) { id in
            guard id.count > idPrefix.count, id.starts(with: idPrefix) else { throw BenchError("\(target) replied with an id this producer never sent") }
            var number = 0
            for byte in id.dropFirst(idPrefix.count) {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { throw BenchError("\(target) replied with a malformed id") }
                number = number * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return number
        }
    }
}

/// An `ERROR` reply where a result was expected.
struct Refusal: Error, CustomStringConvertible {
    let target: String
    /// The reply's error code (`unknown_command`, `overloaded`, …).
    let code: String
    let message: String

    var description: String { "\(target) refused a request: \(code): \(message)" }
}
