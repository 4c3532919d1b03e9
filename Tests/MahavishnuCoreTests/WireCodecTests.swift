import Foundation
import MahavishnuCore
import Testing
import ZeroMQ

/// The MHV1 codec over a real socket pair: every message survives encode, send, receive and
/// decode; broken ones are refused with the documented code; and docs/protocol.md's frame
/// tables list exactly the frames the codec sends.
@Suite("MHV1 wire codec")
struct WireCodecTests {
    static let registration = PoolRegistration(poolID: "pool_a", name: "a", type: "mahavishnu", workerType: "echo",
                                               minWorkers: 1, maxWorkers: 4, workers: 2, pid: 42, host: "h", session: "s1")
    static let fromPool: [(command: String, message: PoolToBroker)] = [
        ("READY", .ready(registration)),
        ("RESULT", .result(taskID: Array("t1".utf8), body: Payload(Array(#"{"status":"completed"}"#.utf8)))),
        ("LOST", .lost(taskID: Array("t2".utf8), reason: "the worker died")),
        ("PARTIAL", .partial(taskID: Array("t1".utf8), sequence: 0, body: Payload(Array("step 1".utf8)))),
        ("HEARTBEAT", .heartbeat(vitals: Array("{}".utf8))),
        ("CAPACITY", .capacity(workers: 3)),
        ("BYE", .bye),
    ]
    static let fromBroker: [(command: String, message: BrokerToPool)] = [
        ("WELCOME", .welcome(WelcomeTerms(heartbeatInterval: .milliseconds(250), liveness: 3, maxResultBytes: 1024))),
        ("TASK", .task(taskID: Array("t1".utf8), body: Payload(Array(#"{"prompt":"hi"}"#.utf8)), partialWindow: 32)),
        ("BYE", .bye),
        ("HEARTBEAT", .heartbeat),
        ("SCALE", .scale(workers: 5)),
        ("DRAIN", .drain),
        ("CANCEL", .cancel(taskID: Array("t1".utf8))),
        ("CREDIT", .credit(taskID: Array("t1".utf8), partials: 16)),
        ("ERROR", .refusal(.notRegistered, reference: Array("t1".utf8), "send READY")),
    ]

    static let fromProducer: [(command: String, message: ProducerToBroker)] = [
        ("TASK", .task(SubmittedTask(taskID: Array("t1".utf8), selector: .affinity, affinity: Array("a".utf8), fallback: Array("random".utf8),
                                     body: Payload(Array(#"{"prompt":"hi"}"#.utf8)), schedule: ScheduleRequest(priority: 7, delay: .seconds(2)).frame))),
        ("CTRL", .control(requestID: Array("r1".utf8), command: .list, arguments: Array("{}".utf8))),
    ]
    static let toProducer: [(command: String, message: BrokerToProducer)] = [
        ("RESULT", .result(taskID: Array("t1".utf8), attempts: 2, body: Payload(Array(#"{"status":"completed"}"#.utf8)))),
        ("PARTIAL", .partial(taskID: Array("t1".utf8), attempt: 2, sequence: 7, body: Payload(Array("40% done".utf8)))),
        ("ERROR", .refusal(.overloaded, reference: Array("t1".utf8), "retry later")),
        ("REPLY", .reply(requestID: Array("r1".utf8), body: Array(#"{"pools":[]}"#.utf8))),
    ]

    @Test("every producer message and every answer to one decodes, off the socket, to what was encoded")
    func producerMessagesRoundTrip() throws {
        let pair = try SocketPair()
        for (command, message) in Self.fromProducer {
            let decoded = try ProducerToBroker(frames: try pair.carry(message.encoded), first: 0)
            #expect(Self.frames(of: decoded.encoded) == Self.frames(of: message.encoded), "\(command)")
        }
        for (command, message) in Self.toProducer {
            let decoded = try BrokerToProducer(frames: try pair.carry(message.encoded), first: 0)
            #expect(Self.frames(of: decoded.encoded) == Self.frames(of: message.encoded), "\(command)")
        }
        let empty = try ProducerToBroker(frames: try pair.carry(WireMessageParts(["MHV1", "TASK", "t2", "", "", "", "{}"])), first: 0)
        guard case .task(let task) = empty else { throw WireTestFailure("not a task") }
        #expect(task.selector == nil, "an empty selector frame is the broker's default")
        #expect(task.schedule.isEmpty, "no schedule frame is the default schedule")
    }

    @Test("a schedule request reads back, at the broker, as absolute times from its own clock; the journal's frame reads back as itself")
    func scheduleFrames() throws {
        let request = ScheduleRequest(priority: 7, expiresIn: .seconds(30), delay: .milliseconds(1_500))
        let schedule = try TaskSchedule(frame: request.frame, receivedAt: 1_000_000)
        #expect(schedule == TaskSchedule(priority: 7, deadline: 1_030_000, eta: 1_001_500))
        #expect(try TaskSchedule(frame: schedule.frame, receivedAt: 5) == schedule, "absolute times do not move")
        let absolute = ScheduleRequest(deadline: Date(timeIntervalSince1970: 2_000), eta: Date(timeIntervalSince1970: 1_500.25))
        #expect(try TaskSchedule(frame: absolute.frame, receivedAt: 0) == TaskSchedule(deadline: 2_000_000, eta: 1_500_250))
        #expect(ScheduleRequest().frame.isEmpty && TaskSchedule().frame.isEmpty)
    }

    @Test("a broken producer message is refused with its code, and the id it names", arguments: [
        (["MHV1", "TASK", "t1", "", "", ""], ErrorCode.badRequest, "t1"),
        (["MHV1", "TASK", "", "", "", "", "{}"], .badRequest, ""),
        (["MHV1", "TASK", "t1", "fastest", "", "", "{}"], .invalidSelector, "t1"),
        (["MHV1", "CTRL", "r1", "reboot", "{}"], .unknownCommand, "r1"),
        (["MHV1", "CTRL", "r1", "list"], .badRequest, "r1"),
        (["MHV1", "SUBMIT", "t1"], .unknownCommand, "t1"),
        (["MHV0", "TASK"], .unsupportedVersion, ""),
    ])
    func producerRefusals(frames parts: [String], code: ErrorCode, reference: String) throws {
        let pair = try SocketPair()
        let frames = try pair.carry(WireMessageParts(parts))
        #expect {
            _ = try ProducerToBroker(frames: frames, first: 0)
        } throws: { error in
            guard let error = error as? WireDecodingError else { return false }
            return error.code == code && error.reference == Array(reference.utf8) && !error.message.isEmpty
        }
    }

    @Test("every pool message decodes, off the socket, to what was encoded")
    func poolMessagesRoundTrip() throws {
        let pair = try SocketPair()
        for (command, message) in Self.fromPool {
            let frames = try pair.carry(message.encoded)
            let decoded = try PoolToBroker(frames: frames, first: 0)
            #expect(Self.frames(of: decoded.encoded) == Self.frames(of: message.encoded), "\(command)")
        }
    }

    @Test("every broker message decodes, off the socket, to what was encoded")
    func brokerMessagesRoundTrip() throws {
        let pair = try SocketPair()
        for (command, message) in Self.fromBroker {
            let frames = try pair.carry(message.encoded)
            let decoded = try BrokerToPool(frames: frames, first: 0)
            #expect(Self.frames(of: decoded.encoded) == Self.frames(of: message.encoded), "\(command)")
        }
        let plain = try BrokerToPool(frames: try pair.carry(WireMessageParts(["MHV1", "TASK", "t2", "{}"])), first: 0)
        guard case .task(_, _, nil) = plain else { throw WireTestFailure("a TASK without a window frame is not a plain task") }
        for broken in [["MHV1", "TASK", "t2", "{}", "0"], ["MHV1", "CREDIT", "t2", "-3"], ["MHV1", "CREDIT", "t2"]] {
            #expect(throws: WireDecodingError.self, "\(broken)") { try BrokerToPool(frames: try pair.carry(WireMessageParts(broken)), first: 0) }
        }
    }

    @Test("a broken pool message is refused with its code, and the task id it names", arguments: [
        (["MHV2", "RESULT", "t1", "{}"], ErrorCode.unsupportedVersion, ""),
        (["MHV1"], .badRequest, ""),
        (["MHV1", "HELLO"], .unknownCommand, ""),
        (["MHV1", "RESULT", "t1"], .badRequest, "t1"),
        (["MHV1", "LOST", "t9", "why", "extra"], .badRequest, "t9"),
        (["MHV1", "CAPACITY", "many"], .badRequest, ""),
        (["MHV1", "CAPACITY", "-1"], .badRequest, ""),
        (["MHV1", "READY", "not json"], .badRequest, ""),
    ])
    func refusals(frames parts: [String], code: ErrorCode, reference: String) throws {
        let pair = try SocketPair()
        let frames = try pair.carry(WireMessageParts(parts))
        #expect {
            _ = try PoolToBroker(frames: frames, first: 0)
        } throws: { error in
            guard let error = error as? WireDecodingError else { return false }
            return error.code == code && error.reference == Array(reference.utf8) && !error.message.isEmpty
        }
    }

    @Test("docs/protocol.md's frame tables list each command the codecs have, with the frames they send, and the bus frames in order")
    func documentedTables() throws {
        let protocolText = try String(contentsOf: Self.root.appendingPathComponent("docs/protocol.md"), encoding: .utf8)
        let documentedFromPool = try Self.table(after: "### Pool → broker", in: protocolText)
        let documentedFromBroker = try Self.table(after: "### Broker → pool", in: protocolText)
        #expect(documentedFromPool == Dictionary(uniqueKeysWithValues: Self.fromPool.map { ($0.command, Self.frames(of: $0.message.encoded).count - 1) }))
        #expect(documentedFromBroker == Dictionary(uniqueKeysWithValues: Self.fromBroker.map { ($0.command, Self.frames(of: $0.message.encoded).count - 1) }))
        for (command, message) in Self.fromPool { #expect(Self.frames(of: message.encoded)[1] == Array(command.utf8)) }
        for (command, message) in Self.fromBroker { #expect(Self.frames(of: message.encoded)[1] == Array(command.utf8)) }
        for (command, message) in Self.fromProducer {
            #expect(try Self.numberedTable(after: "### `\(command)`", in: protocolText).count == Self.frames(of: message.encoded).count, "\(command)")
        }
        for (command, message) in Self.toProducer {
            #expect(try Self.numberedTable(after: "### `\(command)`", in: protocolText).count == Self.frames(of: message.encoded).count, "\(command)")
        }
        let busFrames = BusEnvelope(topic: BusTopic.topic(.heartbeat, target: nil), publisher: Array("p#1".utf8), sequence: 1).frames(header: [], payload: [])
        #expect(try Self.numberedTable(after: "### Bus message frames", in: protocolText) == BusFrame.allCases.map { "\($0)" })
        #expect(busFrames.count == BusFrame.allCases.count)
        #expect(busFrames[BusFrame.version.rawValue - 1] == Wire.version)
    }

    /// The frame names of the numbered table after `heading`, in order.
    static func numberedTable(after heading: String, in text: String) throws -> [String] {
        guard let start = text.range(of: heading) else { throw WireTestFailure("no '\(heading)' in docs/protocol.md") }
        return text[start.upperBound...].split(separator: "\n").drop(while: { !$0.hasPrefix("|") }).prefix(while: { $0.hasPrefix("|") })
            .map { $0.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) } }
            .filter { cells in cells.count >= 2 && Int(cells[0]) != nil }.map { $0[1] }
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Command → frames after `MHV1`, from the table that follows `heading`.
    static func table(after heading: String, in text: String) throws -> [String: Int] {
        guard let start = text.range(of: heading) else { throw WireTestFailure("no '\(heading)' in docs/protocol.md") }
        var rows: [String: Int] = [:]
        for line in text[start.upperBound...].split(separator: "\n").drop(while: { !$0.hasPrefix("|") }).prefix(while: { $0.hasPrefix("|") }) {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 2, cells[0].hasPrefix("`") else { continue }
            rows[cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))] = cells[1].split(separator: ",").count
        }
        return rows
    }

    static func frames(of message: WireMessage) -> [[UInt8]] {
        message.headers + (message.body.map { [$0.bytes] } ?? []) + (message.trailer.map { [$0] } ?? [])
    }
}

/// Hand-written frames, for messages the codec would never build.
func WireMessageParts(_ parts: [String]) -> WireMessage {
    WireMessage(headers: parts.map { Array($0.utf8) })
}

/// Two connected PAIR sockets over `inproc://`: what one sends, the other receives into `Frames`.
final class SocketPair {
    private let context: Context
    private let sender: Socket
    private let receiver: Socket
    private let frames = Frames()

    init() throws {
        context = try Context()
        receiver = try Socket(context, type: .pair, linger: 0)
        sender = try Socket(context, type: .pair, linger: 0)
        let endpoint = "inproc://wire-\(UUID().uuidString)"
        try receiver.bind(endpoint)
        try sender.connect(endpoint)
    }

    deinit {
        sender.close()
        receiver.close()
    }

    func carry(_ message: WireMessage) throws -> Frames {
        try sender.send(message)
        _ = try receiver.receive(into: frames)
        return frames
    }
}

struct WireTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
