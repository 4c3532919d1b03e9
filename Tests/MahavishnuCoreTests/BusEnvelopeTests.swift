import Foundation
import MahavishnuCore
import Testing
import ZeroMQ

/// The bus codec over a real socket pair: a message survives encode, send, receive and decode,
/// frame for frame as docs/protocol.md lists them; a broken one is refused naming its frame.
@Suite("Bus message codec")
struct BusEnvelopeTests {
    static let publisher = Array("pool_a#3f9c2a1b".utf8)

    @Test("a published message decodes, off the socket, to its envelope and the message it carried", arguments: [nil, "pool_b"])
    func roundTrip(target: String?) throws {
        let message = try BusMessage(type: .resultShare, sourcePoolID: "pool_a", targetPoolID: target, payload: ResultShare(delegationID: "d1", error: "no"),
                                     timestamp: Date(timeIntervalSince1970: 1_764_390_000.5))
        let sent = BusEnvelope(topic: BusTopic.topic(message.type, target: target), publisher: Self.publisher, sequence: 42)
        let frames = sent.frames(header: try JSONCoding.encode(message.header), payload: message.payloadJSON)
        #expect(frames[0] == Array("result_share/\(target ?? "")/".utf8))
        #expect(frames[1] == Wire.version && frames[2] == Self.publisher && frames[3] == Array("42".utf8))

        let pair = try SocketPair()
        let received = try pair.carry(WireMessage(headers: frames))
        let envelope = try BusEnvelope(frames: received)
        #expect(envelope == sent)
        #expect(try envelope.message(in: received) == message)
    }

    @Test("a broken message is refused, naming the frame at fault", arguments: [
        (["result_share//", "MHV1", "p#1", "7", header], nil),
        (["result_share//", "MHV1", "p#1", "7", header, "{}", "extra"], nil),
        (Array(repeating: "x", count: 17), nil),
        (["result_share//", "MHV2", "p#1", "7", header, "{}"], BusFrame.version),
        (["result_share//", "MHV1", "p#1", "seven", header, "{}"], .sequence),
        (["result_share//", "MHV1", "p#1", "", header, "{}"], .sequence),
        (["result_share//", "MHV1", "p#1", "-1", header, "{}"], .sequence),
        (["result_share//", "MHV1", "p#1", "7", "not json", "{}"], .header),
        (["result_share//", "MHV1", "p#1", "7", #"{"type":"gossip","source_pool_id":"pool_a","timestamp":1}"#, "{}"], .header),
        (["result_share//", "MHV1", "p#1", "7", #"{"type":"result_share","timestamp":1}"#, "{}"], .header),
        (["task_completed//", "MHV1", "p#1", "7", header, "{}"], .topic),
        (["result_share/pool_b/", "MHV1", "p#1", "7", header, "{}"], .topic),
        (["result_share//", "MHV1", "p#1", "7", header, "{"], .payload),
    ] as [([String], BusFrame?)])
    func refusals(frames parts: [String], frame: BusFrame?) throws {
        let pair = try SocketPair()
        let received = try pair.carry(WireMessageParts(parts))
        #expect {
            _ = try BusEnvelope(frames: received).message(in: received)
        } throws: { error in
            guard let error = error as? BusDecodingError else { return false }
            return error.frame == frame && !error.message.isEmpty
        }
    }

    @Test("a message whose first four frames are sound has an envelope, however broken its header or payload")
    func envelopeOfABrokenMessage() throws {
        let pair = try SocketPair()
        let received = try pair.carry(WireMessageParts(["result_share//", "MHV1", "p#1", "7", "not json", "{}"]))
        let envelope = try BusEnvelope(frames: received)
        #expect(envelope == BusEnvelope(topic: Array("result_share//".utf8), publisher: Array("p#1".utf8), sequence: 7))
        #expect(throws: BusDecodingError.self) { try envelope.message(in: received) }
    }
}

/// A sound header for a `result_share` for everyone.
private let header = #"{"source_pool_id":"pool_a","timestamp":1764390000.5,"type":"result_share"}"#
