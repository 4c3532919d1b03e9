import ZeroMQ

/// A message's frames after any routing id, as sent: short header frames, then for messages
/// that carry one a body passed on without a copy.
public struct WireMessage: Sendable {
    public var headers: [[UInt8]]
    public var body: Payload?
    /// A short frame after the body (a `TASK`'s schedule), or `nil` for none.
    public var trailer: [UInt8]?

    // One initialiser per field count, each building its headers in one array literal: a
    // message on the hot path costs one allocation for its headers, not a variadic array too.
    public init(_ command: [UInt8], body: Payload? = nil) {
        self.init(headers: [Wire.version, command], body: body)
    }

    public init(_ command: [UInt8], _ field: [UInt8], body: Payload? = nil) {
        self.init(headers: [Wire.version, command, field], body: body)
    }

    public init(_ command: [UInt8], _ first: [UInt8], _ second: [UInt8], body: Payload? = nil) {
        self.init(headers: [Wire.version, command, first, second], body: body)
    }

    public init(_ command: [UInt8], _ first: [UInt8], _ second: [UInt8], _ third: [UInt8], body: Payload? = nil) {
        self.init(headers: [Wire.version, command, first, second, third], body: body)
    }

    public init(_ command: [UInt8], _ first: [UInt8], _ second: [UInt8], _ third: [UInt8], _ fourth: [UInt8], body: Payload? = nil) {
        self.init(headers: [Wire.version, command, first, second, third, fourth], body: body)
    }

    /// The message with `trailer` after its body (`nil`: none).
    public func trailed(by trailer: [UInt8]?) -> WireMessage {
        var message = self
        message.trailer = trailer
        return message
    }

    /// Frames as given, version frame included.
    public init(headers: [[UInt8]], body: Payload? = nil) {
        self.headers = headers
        self.body = body
    }
}

/// A message that breaks its command's frame table (`docs/protocol.md`): the `ERROR` code and
/// sentence it is answered with.
public struct WireDecodingError: Error, Equatable, CustomStringConvertible {
    public let code: ErrorCode
    public let message: String
    /// The id the message is about (a `RESULT`'s or `LOST`'s task id) when it holds one, for
    /// the error's reference frame; empty otherwise.
    public let reference: [UInt8]

    public init(_ code: ErrorCode, _ message: String, reference: [UInt8] = []) {
        self.code = code
        self.message = message
        self.reference = reference
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

/// Reads one received message's frames by the names of its frame table: `first` is the
/// version frame's index (after the routing id on a ROUTER).
struct WireReader {
    let frames: Frames
    let first: Int

    /// Frames after the version frame.
    var count: Int { frames.count - first - 1 }
    /// Frames after the command frame: the fields.
    var fieldCount: Int { count - 1 }

    /// Checks the version and the frame count, then returns the command frame's index.
    static func open(_ frames: Frames, first: Int) throws(WireDecodingError) -> WireReader {
        let reader = WireReader(frames: frames, first: first)
        guard frames.count > first, frames.frame(first, equals: Wire.version) else {
            throw WireDecodingError(.unsupportedVersion, "expected protocol version MHV1 in the first frame")
        }
        guard !frames.overflowed else {
            throw WireDecodingError(.badRequest, "the message has more than \(frames.capacity - first) frames", reference: reader.reference(0))
        }
        guard frames.count > first + 1 else {
            throw WireDecodingError(.badRequest, "a message needs at least a version frame and a command frame")
        }
        return reader
    }

    func isCommand(_ command: [UInt8]) -> Bool { frames.frame(first + 1, equals: command) }

    var commandName: String { frames.string(first + 1) }

    /// Requires exactly `fields` frames after the command, as `table` (its frame table) lists them.
    func expect(_ fields: Int, _ table: String, reference: [UInt8] = []) throws(WireDecodingError) {
        try expect(fields...fields, table, reference: reference)
    }

    /// Requires between `fields.lowerBound` and `fields.upperBound` frames after the command (trailing optional ones).
    func expect(_ fields: ClosedRange<Int>, _ table: String, reference: [UInt8] = []) throws(WireDecodingError) {
        guard fields.contains(fieldCount) else {
            throw WireDecodingError(.badRequest, "\(table); this one has \(count + 1) frames, MHV1 included", reference: reference)
        }
    }

    /// Field `index` (0 is the first frame after the command).
    func bytes(_ index: Int) -> [UInt8] { frames.bytes(first + 2 + index) }
    func string(_ index: Int) -> String { frames.string(first + 2 + index) }
    func size(_ index: Int) -> Int { frames.size(first + 2 + index) }
    func payload(_ index: Int) -> Payload { frames.retain(first + 2 + index) }
    /// The field as a task or request id when it is one (1 to 255 bytes): for an error's
    /// reference. Read only on the way to an error, so a valid message costs no copy of it.
    func reference(_ index: Int) -> [UInt8] {
        count > index + 1 && (1...Wire.maxIDLength).contains(size(index)) ? bytes(index) : []
    }

    /// An id field (task or request id): 1 to 255 bytes.
    func id(_ index: Int, _ what: String) throws(WireDecodingError) -> [UInt8] {
        guard (1...Wire.maxIDLength).contains(size(index)) else {
            throw WireDecodingError(.badRequest, "the \(what) must be 1 to \(Wire.maxIDLength) bytes; got \(size(index))")
        }
        return bytes(index)
    }

    /// Whether field `index` holds exactly `expected`.
    func field(_ index: Int, equals expected: [UInt8]) -> Bool { frames.frame(first + 2 + index, equals: expected) }

    /// A decimal count field, `nil` when it is not one.
    func count(_ index: Int) -> Int? { Int(string(index)) }
}

extension Socket {
    /// Sends `message`, after `routingID` when it goes out on a ROUTER; `false` if the first
    /// frame would block with `dontWait`.
    @discardableResult
    public func send(_ message: WireMessage, to routingID: [UInt8]? = nil, dontWait: Bool = false) throws -> Bool {
        if let routingID {
            guard try send(routingID, more: true, dontWait: dontWait) else { return false }
        }
        for (index, header) in message.headers.enumerated() {
            let sent = try send(header, more: message.body != nil || index < message.headers.count - 1, dontWait: dontWait && routingID == nil && index == 0)
            if !sent { return false }
        }
        if let body = message.body { try send(body, more: message.trailer != nil) }
        if let trailer = message.trailer { try send(trailer) }
        return true
    }
}
