import ZeroMQ

/// What a broker sends a pool on the backend (`docs/protocol.md`, "Broker → pool").
public enum BrokerToPool: Sendable {
    /// Registration accepted, on these heartbeat terms (`nil`: none readable; the pool keeps
    /// the ones it has).
    case welcome(WelcomeTerms?)
    /// Run this task; the body exactly as the producer sent it. A task whose producer streams it
    /// carries its `partialWindow`: how many partial outputs it may send before any `CREDIT`
    /// (`nil`: none are wanted).
    case task(taskID: [UInt8], body: Payload, partialWindow: Int?)
    /// The broker has released the pool (its answer to the pool's `BYE`): exit now.
    case bye
    /// Every heartbeat interval.
    case heartbeat
    /// Resize to this many workers, then confirm with `CAPACITY`.
    case scale(workers: Int)
    /// Finish your tasks and leave, as on SIGTERM.
    case drain
    /// End this running task the way its timeout would, and report it `cancelled`.
    case cancel(taskID: [UInt8])
    /// This streaming task may send `partials` more partial outputs: its producer took as many.
    case credit(taskID: [UInt8], partials: Int)
    /// A message of the pool's was refused; `code` is an `ErrorCode`'s raw value (kept as
    /// sent, so a code newer than this build is still logged).
    case error(reference: [UInt8], code: String, message: String)

    /// An `ERROR` with a code this build knows.
    public static func refusal(_ code: ErrorCode, reference: [UInt8] = [], _ message: String) -> BrokerToPool {
        .error(reference: reference, code: code.rawValue, message: message)
    }

    public var encoded: WireMessage {
        switch self {
        case .welcome(let terms):
            terms.flatMap { try? JSONCoding.encode($0) }.map { WireMessage(Wire.Command.welcome, $0) } ?? WireMessage(Wire.Command.welcome)
        case .task(let taskID, let body, let window):
            WireMessage(Wire.Command.task, taskID, body: body).trailed(by: window.map { Array(String($0).utf8) })
        case .bye:
            WireMessage(Wire.Command.bye)
        case .heartbeat:
            WireMessage(Wire.Command.heartbeat)
        case .scale(let workers):
            WireMessage(Wire.Command.scale, Array(String(workers).utf8))
        case .drain:
            WireMessage(Wire.Command.drain)
        case .cancel(let taskID):
            WireMessage(Wire.Command.cancel, taskID)
        case .credit(let taskID, let partials):
            WireMessage(Wire.Command.credit, taskID, Array(String(partials).utf8))
        case .error(let reference, let code, let message):
            WireMessage(Wire.Command.error, reference, Array(code.utf8), Array(message.utf8))
        }
    }

    /// Decodes the message whose version frame is at `first` (0 on the pool's DEALER).
    public init(frames: Frames, first: Int) throws(WireDecodingError) {
        let reader = try WireReader.open(frames, first: first)
        if reader.isCommand(Wire.Command.task) {
            let table = "TASK takes a task id, a body and, for a streaming task, its partial window (decimal)"
            try reader.expect(2...3, table, reference: reader.reference(0))
            var window: Int?
            if reader.fieldCount == 3 {
                guard let count = reader.count(2), count > 0 else { throw WireDecodingError(.badRequest, table, reference: reader.reference(0)) }
                window = count
            }
            self = .task(taskID: reader.bytes(0), body: reader.payload(1), partialWindow: window)
        } else if reader.isCommand(Wire.Command.heartbeat) {
            self = .heartbeat
        } else if reader.isCommand(Wire.Command.welcome) {
            self = .welcome(reader.count == 2 ? try? JSONCoding.decode(WelcomeTerms.self, from: reader.bytes(0)) : nil)
        } else if reader.isCommand(Wire.Command.scale) {
            let table = "SCALE takes one frame: the worker count as a decimal number"
            try reader.expect(1, table)
            guard let workers = reader.count(0), workers >= 0 else { throw WireDecodingError(.badRequest, table) }
            self = .scale(workers: workers)
        } else if reader.isCommand(Wire.Command.drain) {
            self = .drain
        } else if reader.isCommand(Wire.Command.cancel) {
            try reader.expect(1, "CANCEL takes a task id")
            self = .cancel(taskID: try reader.id(0, "task id"))
        } else if reader.isCommand(Wire.Command.credit) {
            let table = "CREDIT takes a task id and a count of partial outputs (decimal, above 0)"
            try reader.expect(2, table)
            guard let partials = reader.count(1), partials > 0 else { throw WireDecodingError(.badRequest, table) }
            self = .credit(taskID: try reader.id(0, "task id"), partials: partials)
        } else if reader.isCommand(Wire.Command.bye) {
            self = .bye
        } else if reader.isCommand(Wire.Command.error) {
            try reader.expect(3, "ERROR takes a reference, a code and a message")
            self = .error(reference: reader.bytes(0), code: reader.string(1), message: reader.string(2))
        } else {
            throw WireDecodingError(.unknownCommand, "unknown command '\(reader.commandName)'; brokers send WELCOME, TASK, CANCEL, CREDIT, BYE, HEARTBEAT, SCALE, DRAIN or ERROR")
        }
    }
}
