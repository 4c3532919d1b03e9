import MahavishnuCore
import ZeroMQ

/// Messages the router loop holds back while the journal has records not yet written: they go
/// out, in order, once one `write(2)` has made the records durable, so every message of a pass
/// of the loop shares one write instead of paying one each.
struct Outbox {
    struct Message {
        enum Peer {
            case producer(ReplyAddress)
            case pool([UInt8])
        }

        /// A final result the producer is owed (not a copy answering a retry), whose fate is
        /// reported once it is sent; a streaming task's waits for room if its producer has none.
        enum Result {
            case owed, streamed
        }

        let peer: Peer
        let wire: WireMessage
        var result: Result?
    }

    private(set) var messages: [Message] = []

    var isEmpty: Bool { messages.isEmpty }

    mutating func append(_ message: Message) { messages.append(message) }

    /// Empties the outbox, returning what it held, oldest first.
    mutating func take() -> [Message] {
        defer { messages.removeAll(keepingCapacity: true) }
        return messages
    }
}
