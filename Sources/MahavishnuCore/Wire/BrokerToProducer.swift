import ZeroMQ

/// What the broker sends a producer on the frontend (`docs/protocol.md`, "Broker → producer").
public enum BrokerToProducer: Sendable {
    /// A task's final result, the body exactly as the pool wrote it, after `attempts` dispatches.
    case result(taskID: [UInt8], attempts: Int, body: Payload)
    /// A refused task or request; `code` is an `ErrorCode`'s raw value, kept as sent.
    case error(reference: [UInt8], code: String, message: String)
    /// The answer to a `CTRL`, JSON.
    case reply(requestID: [UInt8], body: [UInt8])
    /// A streaming task's partial output number `sequence` of dispatch `attempt` (a retry starts over at 0).
    case partial(taskID: [UInt8], attempt: Int, sequence: Int, body: Payload)

    /// An `ERROR` with a code this build knows.
    public static func refusal(_ code: ErrorCode, reference: [UInt8] = [], _ message: String) -> BrokerToProducer {
        .error(reference: reference, code: code.rawValue, message: message)
    }

    public var encoded: WireMessage {
        switch self {
        case .result(let taskID, let attempts, let body):
            WireMessage(Wire.Command.result, taskID, AttemptCount.bytes(attempts), body: body)
        case .error(let reference, let code, let message):
            WireMessage(Wire.Command.error, reference, Array(code.utf8), Array(message.utf8))
        case .reply(let requestID, let body):
            WireMessage(Wire.Command.reply, requestID, body)
        case .partial(let taskID, let attempt, let sequence, let body):
            WireMessage(Wire.Command.partial, taskID, AttemptCount.bytes(attempt), Array(String(sequence).utf8), body: body)
        }
    }

    /// The task or request id the message answers.
    public var reference: [UInt8] {
        switch self {
        case .result(let taskID, _, _): taskID
        case .error(let reference, _, _): reference
        case .reply(let requestID, _): requestID
        case .partial(let taskID, _, _, _): taskID
        }
    }

    /// Decodes the message whose version frame is at `first` (0 on a producer's DEALER).
    public init(frames: Frames, first: Int) throws(WireDecodingError) {
        let reader = try WireReader.open(frames, first: first)
        if reader.isCommand(Wire.Command.result) {
            try reader.expect(3, "RESULT takes a task id, an attempt count and a result JSON", reference: reader.reference(0))
            self = .result(taskID: reader.bytes(0), attempts: reader.count(1) ?? 1, body: reader.payload(2))
        } else if reader.isCommand(Wire.Command.error) {
            try reader.expect(3, "ERROR takes a reference, a code and a message", reference: reader.reference(0))
            self = .error(reference: reader.bytes(0), code: reader.string(1), message: reader.string(2))
        } else if reader.isCommand(Wire.Command.reply) {
            try reader.expect(2, "REPLY takes a request id and a JSON body", reference: reader.reference(0))
            self = .reply(requestID: reader.bytes(0), body: reader.bytes(1))
        } else if reader.isCommand(Wire.Command.partial) {
            let table = "PARTIAL takes a task id, an attempt count, a sequence number and the partial output"
            try reader.expect(4, table, reference: reader.reference(0))
            guard let attempt = reader.count(1), let sequence = reader.count(2) else { throw WireDecodingError(.badRequest, table, reference: reader.bytes(0)) }
            self = .partial(taskID: reader.bytes(0), attempt: attempt, sequence: sequence, body: reader.payload(3))
        } else {
            throw WireDecodingError(.unknownCommand, "unknown reply '\(reader.commandName)'; brokers answer producers with RESULT, PARTIAL, ERROR or REPLY",
                                    reference: reader.reference(0))
        }
    }
}

/// Decimal attempt counts as frames, precomputed so a result costs no formatting.
enum AttemptCount {
    private static let table: [[UInt8]] = (0...16).map { Array(String($0).utf8) }

    static func bytes(_ attempts: Int) -> [UInt8] {
        attempts < table.count ? table[attempts] : Array(String(attempts).utf8)
    }
}
