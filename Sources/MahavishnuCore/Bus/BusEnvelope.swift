import ZeroMQ

/// The six frames of a bus message, numbered as `docs/protocol.md` ("The message bus") lists them.
public enum BusFrame: Int, CaseIterable, Sendable {
    case topic = 1, version, publisher, sequence, header, payload

    /// The frame's index in a received message.
    var index: Int { rawValue - 1 }
}

/// The first four frames of a bus message: the topic ZeroMQ filters on, the version, and the
/// publisher and sequence number a subscriber counts losses by. The header and payload follow.
///
/// A subscriber reads the envelope, counts the message as arrived, then reads the message inside
/// (`message(in:)`): one whose header or payload is unreadable still arrived, and is no gap.
public struct BusEnvelope: Sendable, Equatable {
    /// Frames in a bus message.
    public static let frameCount = BusFrame.allCases.count
    /// The sequence number of the first message a publisher sends on a topic.
    public static let firstSequence: UInt64 = 1

    /// `TYPE/TARGET/` (`BusTopic.topic`); the header's type and target.
    public var topic: [UInt8]
    /// The publishing connection's id, unique per run.
    public var publisher: [UInt8]
    /// The publisher's number for this message on `topic`.
    public var sequence: UInt64

    public init(topic: [UInt8], publisher: [UInt8], sequence: UInt64) {
        self.topic = topic
        self.publisher = publisher
        self.sequence = sequence
    }

    /// The six frames of a message in this envelope, its header and payload JSON already encoded.
    public func frames(header: [UInt8], payload: [UInt8]) -> [[UInt8]] {
        [topic, Wire.version, publisher, Array(String(sequence).utf8), header, payload]
    }

    /// Reads the envelope of a received message: its frame count, version and sequence number.
    public init(frames: Frames) throws(BusDecodingError) {
        guard !frames.overflowed, frames.count == Self.frameCount else {
            let count = frames.overflowed ? "more than \(frames.count)" : "\(frames.count)"
            throw BusDecodingError(nil, "a bus message has \(Self.frameCount) frames (topic, version, publisher, sequence, header, payload); this one has \(count)")
        }
        guard frames.frame(BusFrame.version.index, equals: Wire.version) else {
            throw BusDecodingError(.version, "expected protocol version MHV1; got '\(frames.string(BusFrame.version.index))'")
        }
        guard let sequence = UInt64(frames.string(BusFrame.sequence.index)) else {
            throw BusDecodingError(.sequence, "the sequence must be a decimal number; got '\(frames.string(BusFrame.sequence.index))'")
        }
        self.init(topic: frames.bytes(BusFrame.topic.index), publisher: frames.bytes(BusFrame.publisher.index), sequence: sequence)
    }

    /// Reads the message this envelope carries in `frames` (the ones it was read from): a
    /// header of this topic's type and target, and a JSON payload.
    public func message(in frames: Frames) throws(BusDecodingError) -> BusMessage {
        // Decoded in place: the header costs no copy of its frame.
        let read = frames.withBytes(BusFrame.header.index) { raw in
            raw.withMemoryRebound(to: UInt8.self) { try? JSONCoding.decode(BusHeader.self, from: $0) }
        }
        guard let header = read else {
            throw BusDecodingError(.header, "the header must be a JSON object with a known type, a source_pool_id and a timestamp")
        }
        let expected = BusTopic.topic(header.type, target: header.targetPoolID)
        guard expected == topic else {
            throw BusDecodingError(.topic, "the topic '\(String(decoding: topic, as: UTF8.self))' is not the header's type and target ('\(String(decoding: expected, as: UTF8.self))')")
        }
        let payload = frames.bytes(BusFrame.payload.index)
        guard JSONCoding.isValid(payload) else { throw BusDecodingError(.payload, "the payload is not JSON") }
        return BusMessage(header: header, payloadJSON: payload)
    }
}

/// A received bus message that breaks the frame table: which frame, and what is wrong with it.
public struct BusDecodingError: Error, Equatable, CustomStringConvertible {
    /// The frame at fault; `nil` when the message has the wrong number of frames.
    public let frame: BusFrame?
    /// What is wrong, in a sentence.
    public let message: String

    public init(_ frame: BusFrame?, _ message: String) {
        self.frame = frame
        self.message = message
    }

    public var description: String {
        frame.map { "bus frame \($0.rawValue) (\($0)): \(message)" } ?? message
    }
}
