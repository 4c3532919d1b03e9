/// One state change of a task, as the journal keeps it.
///
/// On disk a record is `length` (u32, little-endian), the CRC-32 of its payload (u32) and the
/// payload: a kind byte and its fields, byte strings as a u32 length and the bytes.
enum JournalRecord: Equatable {
    /// A producer's task was accepted: everything needed to queue and answer it again.
    case accepted(AcceptedTask)
    /// The task was sent to a pool (one more attempt).
    case dispatched(taskID: [UInt8])
    /// The task ended with a final result.
    case finished(FinishedTask)
    /// The result of a finished task reached a producer that had it `owedTo` it.
    case delivered(taskID: [UInt8])
    /// The task ended without a result: the producer was sent an error (it was refused after all).
    case dropped(taskID: [UInt8])
    /// The producer cancelled the task while a pool ran it: it never runs again.
    case cancelled(taskID: [UInt8])

    /// An accepted task's frames, as the producer sent them.
    struct AcceptedTask: Equatable {
        let taskID: [UInt8]
        let replyTo: [UInt8]
        let delimited: Bool
        /// The selector frame (empty for the default).
        let selector: [UInt8]
        let affinity: [UInt8]
        let fallback: [UInt8]
        let body: [UInt8]
        /// The schedule with absolute times (`TaskSchedule.frame`); empty for the default.
        var schedule: [UInt8] = []
    }

    /// A task's final result, and who must still get it.
    struct FinishedTask: Equatable {
        let taskID: [UInt8]
        let attempts: Int
        let body: [UInt8]
        /// When it finished, in milliseconds since 1970 (retention counts from here).
        let finishedAt: UInt64
        /// The routing id of a producer with its own id that is owed the result until a
        /// `delivered` record follows; empty when nobody can be (libzmq's made-up ids do not
        /// survive a reconnect).
        let owedTo: [UInt8]
        let delimited: Bool
    }

    var taskID: [UInt8] {
        switch self {
        case .accepted(let task): task.taskID
        case .finished(let task): task.taskID
        case .dispatched(let id), .delivered(let id), .dropped(let id), .cancelled(let id): id
        }
    }

    private enum Kind: UInt8 { case accepted = 1, dispatched, finished, dropped, delivered, cancelled }

    /// Appends the framed record (length, checksum, payload) to `buffer`.
    func encode(into buffer: inout [UInt8]) {
        switch self {
        case .accepted(let task):
            Self.appendAccepted(taskID: task.taskID, replyTo: task.replyTo, delimited: task.delimited, to: &buffer) { buffer in
                for field in [task.selector, task.affinity, task.fallback, task.body] { Self.appendField(field, to: &buffer) }
                if !task.schedule.isEmpty { Self.appendField(task.schedule, to: &buffer) }
            }
        case .dispatched(let id):
            Self.append(.dispatched, to: &buffer) { Self.appendField(id, to: &$0) }
        case .finished(let task):
            task.body.withUnsafeBytes { body in
                Self.appendFinished(taskID: task.taskID, attempts: task.attempts, body: body, finishedAt: task.finishedAt,
                                    owedTo: task.owedTo, delimited: task.delimited, to: &buffer)
            }
        case .dropped(let id):
            Self.append(.dropped, to: &buffer) { Self.appendField(id, to: &$0) }
        case .delivered(let id):
            Self.append(.delivered, to: &buffer) { Self.appendField(id, to: &$0) }
        case .cancelled(let id):
            Self.append(.cancelled, to: &buffer) { Self.appendField(id, to: &$0) }
        }
    }

    /// Appends an `accepted` record; `appendRoute` appends its last fields (selector, affinity,
    /// fallback, body, and a schedule if it has one), so they can come straight from a message's frames.
    static func appendAccepted(taskID: [UInt8], replyTo: [UInt8], delimited: Bool, to buffer: inout [UInt8],
                               route appendRoute: (inout [UInt8]) -> Void) {
        append(.accepted, to: &buffer) { buffer in
            for field in [taskID, replyTo, delimited ? [1] : [0]] { appendField(field, to: &buffer) }
            appendRoute(&buffer)
        }
    }

    /// Appends a `finished` record, its body read in place.
    static func appendFinished(taskID: [UInt8], attempts: Int, body: UnsafeRawBufferPointer, finishedAt: UInt64, owedTo: [UInt8],
                               delimited: Bool, to buffer: inout [UInt8]) {
        append(.finished, to: &buffer) { buffer in
            appendField(taskID, to: &buffer)
            appendInteger(UInt32(clamping: attempts), to: &buffer)
            appendInteger(UInt32(truncatingIfNeeded: finishedAt), to: &buffer)
            appendInteger(UInt32(truncatingIfNeeded: finishedAt >> 32), to: &buffer)
            appendField(owedTo, to: &buffer)
            buffer.append(delimited ? 1 : 0)
            appendField(body, to: &buffer)
        }
    }

    /// Appends a record of `kind` whose fields `appendFields` appends, framed with its length and checksum.
    private static func append(_ kind: Kind, to buffer: inout [UInt8], _ appendFields: (inout [UInt8]) -> Void) {
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: 8))
        buffer.append(kind.rawValue)
        appendFields(&buffer)
        let payloadLength = buffer.count - start - 8
        let checksum = buffer.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[(start + 8)...])) }
        store(UInt32(payloadLength), in: &buffer, at: start)
        store(checksum, in: &buffer, at: start + 4)
    }

    /// Decodes one payload (the bytes after length and checksum); `nil` if it is not a record.
    static func decode(payload: ArraySlice<UInt8>) -> JournalRecord? {
        var reader = FieldReader(bytes: payload)
        guard let kind = reader.byte().flatMap(Kind.init(rawValue:)) else { return nil }
        let record: JournalRecord?
        switch kind {
        case .accepted:
            guard let id = reader.field(), let replyTo = reader.field(), let delimited = reader.field(), let selector = reader.field(),
                  let affinity = reader.field(), let fallback = reader.field(), let body = reader.field() else { return nil }
            // The schedule field is there only for a task that has one (and not in journals from before it).
            let schedule = reader.isAtEnd ? [] : reader.field()
            guard let schedule else { return nil }
            record = .accepted(AcceptedTask(taskID: id, replyTo: replyTo, delimited: delimited == [1], selector: selector,
                                            affinity: affinity, fallback: fallback, body: body, schedule: schedule))
        case .dispatched:
            record = reader.field().map { .dispatched(taskID: $0) }
        case .finished:
            guard let id = reader.field(), let attempts = reader.integer(), let low = reader.integer(), let high = reader.integer(),
                  let owedTo = reader.field(), let delimited = reader.byte(), let body = reader.field() else { return nil }
            record = .finished(.init(taskID: id, attempts: Int(attempts), body: body, finishedAt: UInt64(high) << 32 | UInt64(low),
                                     owedTo: owedTo, delimited: delimited == 1))
        case .dropped:
            record = reader.field().map { .dropped(taskID: $0) }
        case .delivered:
            record = reader.field().map { .delivered(taskID: $0) }
        case .cancelled:
            record = reader.field().map { .cancelled(taskID: $0) }
        }
        return reader.isAtEnd ? record : nil
    }

    static func appendField(_ bytes: [UInt8], to buffer: inout [UInt8]) {
        bytes.withUnsafeBytes { appendField($0, to: &buffer) }
    }

    /// Appends a length-prefixed field.
    static func appendField(_ bytes: UnsafeRawBufferPointer, to buffer: inout [UInt8]) {
        appendInteger(UInt32(bytes.count), to: &buffer)
        buffer.append(contentsOf: bytes)
    }

    static func appendInteger(_ value: UInt32, to buffer: inout [UInt8]) {
        buffer.append(contentsOf: [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)])
    }

    private static func store(_ value: UInt32, in buffer: inout [UInt8], at offset: Int) {
        for index in 0..<4 { buffer[offset + index] = UInt8(value >> (8 * index) & 0xFF) }
    }
}

/// Reads little-endian integers and length-prefixed fields off a slice of bytes.
struct FieldReader {
    let bytes: ArraySlice<UInt8>
    private(set) var offset: Int

    init(bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        offset = bytes.startIndex
    }

    var isAtEnd: Bool { offset == bytes.endIndex }
    var remaining: Int { bytes.endIndex - offset }

    mutating func byte() -> UInt8? {
        guard remaining >= 1 else { return nil }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func integer() -> UInt32? {
        guard remaining >= 4 else { return nil }
        defer { offset += 4 }
        return (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) }
    }

    mutating func field() -> [UInt8]? {
        guard let length = integer(), remaining >= Int(length) else { return nil }
        defer { offset += Int(length) }
        return Array(bytes[offset..<(offset + Int(length))])
    }
}
