/// How bus messages are addressed: the topic frame every message starts with, and the
/// subscription prefixes that let ZeroMQ filter by type and target before a message is sent.
///
/// A topic is `TYPE/TARGET/`: `task_completed//` for everyone, `task_delegate/pool_b/` for pool
/// `pool_b` only. Subscribing to `TYPE//` and `TYPE/ME/` gets what is meant for `ME`; `TYPE/`
/// gets every message of the type.
public enum BusTopic {
    /// The topic frame of a message of `type`, for `target` (or everyone).
    public static func topic(_ type: BusMessageType, target: String?) -> [UInt8] {
        Array("\(type.rawValue)/\(target ?? "")/".utf8)
    }

    /// The subscription prefixes that select messages of `type` in `scope`, for a bus whose own id is `identity`.
    public static func prefixes(_ type: BusMessageType, scope: BusScope, identity: String) -> [[UInt8]] {
        switch scope {
        case .all: [Array("\(type.rawValue)/".utf8)]
        case .own: [topic(type, target: nil), topic(type, target: identity)]
        case .direct: [topic(type, target: identity)]
        }
    }

    /// Why `id` cannot be a source or target id on the bus, or `nil` when it can.
    public static func problem(withID id: String) -> String? {
        if id.isEmpty || id.utf8.count > Wire.maxIDLength { return "a bus id must be 1 to \(Wire.maxIDLength) bytes" }
        if id.contains("/") { return "a bus id must not contain '/' (got '\(id)')" }
        return nil
    }
}

/// Which messages of the subscribed types a subscription receives.
public enum BusScope: Sendable, Equatable {
    /// Messages for everyone, and those targeted at this bus's own id: what a pool wants.
    case own
    /// Only messages targeted at this bus's own id (a pool's `task_delegate` and `result_share`).
    case direct
    /// Every message of the types, whoever it is for: what monitoring (`bus tail`) and the memory store want.
    case all
}
