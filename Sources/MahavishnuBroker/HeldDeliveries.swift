import DequeModule
import MahavishnuCore

/// Messages for streaming producers that had no room for them yet, held in order per task and
/// tried again on a short timer: a task's partial outputs and, behind them, its final result
/// (which may find the pipe full of the partials before it, with none held).
///
/// A pool sends a streaming task at most `window` partials ahead of the broker's `CREDIT`, and
/// the broker grants credit only for partials it passed on, so one task holds at most `window`
/// partials here: a producer that does not read slows its own task, and nobody else's.
struct HeldDeliveries {
    /// Partial outputs a pool may send for one task beyond what the broker passed on.
    static let window = 32
    /// Credit goes back to the pool this many partials at a time.
    static let grant = window / 2
    /// Most body bytes held for all producers together; past it a partial is dropped (and
    /// counted) rather than held, and a result is undeliverable (a resend gets it from the cache).
    static let byteLimit = 64 << 20

    /// One held message: a partial output of one attempt, or the task's final result.
    struct Message {
        let wire: WireMessage
        /// The attempt a partial comes from; `nil` for the final result.
        let attempt: Int?
        let bytes: Int
    }

    private struct Stream {
        var address: ReplyAddress
        var messages: Deque<Message> = []
    }

    private var streams: ByteKeyedDictionary<Stream> = [:]
    private(set) var bytes = 0
    /// When held messages are tried again; `nil` while none are held.
    private(set) var retryAt: ContinuousClock.Instant?
    /// The pause before the next try: 1 ms, doubling while no producer takes anything, to 64 ms.
    private var backoff: Duration = .milliseconds(1)

    var isEmpty: Bool { streams.isEmpty }
    /// Partial outputs held, all tasks together.
    var partialCount: Int { streams.reduce(0) { $0 + $1.value.messages.count { $0.attempt != nil } } }
    /// Final results held, all tasks together (one per task at most, last in its line).
    var resultCount: Int { streams.count { $0.value.messages.last?.attempt == nil } }

    func isHolding(_ taskID: [UInt8]) -> Bool { streams[taskID] != nil }

    /// Whether a partial of `bytes` more would pass `byteLimit`.
    func isFull(adding bytes: Int) -> Bool { self.bytes + bytes > Self.byteLimit }

    /// Holds `message` for `taskID`'s producer at `address`, behind what it holds already.
    mutating func hold(_ message: Message, for taskID: [UInt8], to address: ReplyAddress) {
        var stream = streams[taskID] ?? Stream(address: address)
        stream.messages.append(message)
        streams[taskID] = stream
        bytes += message.bytes
        if retryAt == nil { retryAt = .now + backoff }
    }

    /// The producer resent the task from `address`: what is held goes there. `false` if
    /// nothing is held for it.
    mutating func redirect(_ taskID: [UInt8], to address: ReplyAddress) -> Bool {
        guard streams[taskID] != nil else { return false }
        streams[taskID]!.address = address
        return true
    }

    /// The tasks holding messages, each with where they go.
    var heldTasks: [(taskID: [UInt8], address: ReplyAddress)] { streams.map { ($0.key, $0.value.address) } }

    func first(of taskID: [UInt8]) -> Message? { streams[taskID]?.messages.first }

    /// Takes `taskID`'s oldest held message off; the task's entry goes once it holds nothing.
    mutating func removeFirst(of taskID: [UInt8]) {
        guard var stream = streams[taskID], let message = stream.messages.popFirst() else { return }
        bytes -= message.bytes
        streams[taskID] = stream.messages.isEmpty ? nil : stream
    }

    /// Schedules the next try after a pass that passed on something (`progressed`) or nothing.
    mutating func tried(progressed: Bool) {
        backoff = progressed ? .milliseconds(1) : min(backoff * 2, .milliseconds(64))
        retryAt = streams.isEmpty ? nil : .now + backoff
    }
}
