import ZeroMQ

/// What a pool sends its broker on the backend (`docs/protocol.md`, "Pool → broker").
public enum PoolToBroker: Sendable {
    /// Register, or register again after a reconnect.
    case ready(PoolRegistration)
    /// A task's result, the body as the pool wrote it; frees one slot.
    case result(taskID: [UInt8], body: Payload)
    /// The worker running the task died; frees one slot.
    case lost(taskID: [UInt8], reason: String)
    /// The running task's partial output number `sequence` (0, 1, … for each run), before its result.
    case partial(taskID: [UInt8], sequence: Int, body: Payload)
    /// Every heartbeat interval, with the pool's vitals JSON (`nil`: none sent).
    case heartbeat(vitals: [UInt8]?)
    /// The pool's slot count changed (it confirms every `SCALE`).
    case capacity(workers: Int)
    /// The pool is draining: send it nothing new.
    case bye

    /// The commands, in the order the protocol lists them, for error messages.
    public static let commandNames = "READY, RESULT, PARTIAL, LOST, HEARTBEAT, CAPACITY or BYE"

    /// The task id a `RESULT` or `LOST` is about.
    public var taskID: [UInt8]? {
        switch self {
        case .result(let taskID, _), .lost(let taskID, _), .partial(let taskID, _, _): taskID
        default: nil
        }
    }

    public var encoded: WireMessage {
        switch self {
        case .ready(let registration):
            WireMessage(Wire.Command.ready, (try? JSONCoding.encode(registration)) ?? [])
        case .result(let taskID, let body):
            WireMessage(Wire.Command.result, taskID, body: body)
        case .lost(let taskID, let reason):
            WireMessage(Wire.Command.lost, taskID, Array(reason.utf8))
        case .partial(let taskID, let sequence, let body):
            WireMessage(Wire.Command.partial, taskID, Array(String(sequence).utf8), body: body)
        case .heartbeat(let vitals):
            vitals.map { WireMessage(Wire.Command.heartbeat, $0) } ?? WireMessage(Wire.Command.heartbeat)
        case .capacity(let workers):
            WireMessage(Wire.Command.capacity, Array(String(workers).utf8))
        case .bye:
            WireMessage(Wire.Command.bye)
        }
    }

    /// Decodes the message whose version frame is at `first` (1 on the broker's ROUTER).
    public init(frames: Frames, first: Int) throws(WireDecodingError) {
        let reader = try WireReader.open(frames, first: first)
        if reader.isCommand(Wire.Command.result) {
            try reader.expect(2, "RESULT takes a task id and a result JSON", reference: reader.reference(0))
            self = .result(taskID: reader.bytes(0), body: reader.payload(1))
        } else if reader.isCommand(Wire.Command.heartbeat) {
            // Any message is a sign of life: vitals are read when the one frame is there.
            self = .heartbeat(vitals: reader.count == 2 ? reader.bytes(0) : nil)
        } else if reader.isCommand(Wire.Command.ready) {
            let table = "READY takes one JSON frame describing the pool (pool_id, name, type, worker_type, min_workers, max_workers, workers, pid, host)"
            try reader.expect(1, table)
            guard let registration = try? JSONCoding.decode(PoolRegistration.self, from: reader.bytes(0)) else {
                throw WireDecodingError(.badRequest, table)
            }
            self = .ready(registration)
        } else if reader.isCommand(Wire.Command.partial) {
            let table = "PARTIAL takes a task id, a sequence number (decimal) and the partial output"
            try reader.expect(3, table, reference: reader.reference(0))
            guard let sequence = reader.count(1), sequence >= 0 else { throw WireDecodingError(.badRequest, table, reference: reader.bytes(0)) }
            self = .partial(taskID: reader.bytes(0), sequence: sequence, body: reader.payload(2))
        } else if reader.isCommand(Wire.Command.lost) {
            try reader.expect(2, "LOST takes a task id and a reason", reference: reader.reference(0))
            self = .lost(taskID: reader.bytes(0), reason: reader.string(1))
        } else if reader.isCommand(Wire.Command.capacity) {
            let table = "CAPACITY takes one frame: the worker count as a decimal number from 0 to the pool's max_workers"
            try reader.expect(1, table)
            guard let workers = reader.count(0), workers >= 0 else { throw WireDecodingError(.badRequest, table) }
            self = .capacity(workers: workers)
        } else if reader.isCommand(Wire.Command.bye) {
            self = .bye
        } else {
            throw WireDecodingError(.unknownCommand, "unknown command '\(reader.commandName)'; pools send \(Self.commandNames)")
        }
    }
}
