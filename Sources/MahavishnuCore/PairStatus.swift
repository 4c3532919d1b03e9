/// A broker's place in a primary/backup pair (`broker_role`).
public enum PairRole: String, Codable, Sendable, CaseIterable {
    /// Serves alone once it has waited one peer timeout without hearing its peer, or at once
    /// when its peer says it is the backup.
    case primary
    /// Serves only after it has followed an active primary and that primary went silent.
    case backup
}

/// Where a broker of a pair stands (Binary Star's states).
public enum PairState: String, Codable, Sendable, CaseIterable {
    /// Started as the primary, waiting to hear its peer.
    case primary
    /// Started as the backup, waiting to hear an active peer; it serves nobody.
    case backup
    /// Serving producers and pools, streaming its journal to the peer.
    case active
    /// Following the active peer's journal; refuses producers and pools with `not_active`.
    case passive
}

/// The reply to `ControlCommand.promote`.
public struct PromoteReply: Codable, Sendable, Equatable {
    /// The epoch of the active peer asked to step down.
    public var peerEpoch: UInt64
    public var message: String

    public init(peerEpoch: UInt64, message: String) {
        self.peerEpoch = peerEpoch
        self.message = message
    }

    enum CodingKeys: String, CodingKey { case peerEpoch = "peer_epoch", message }
}

/// How a broker of a pair stands, as `info` and `pool health` report it.
public struct PairStatus: Codable, Sendable, Equatable {
    public var role: PairRole
    public var state: PairState
    /// The epoch this broker last served under (0: never); every takeover raises it past both
    /// brokers' epochs, and an active broker that hears of a higher one is fenced and exits.
    public var epoch: UInt64
    /// The peer's pair endpoint.
    public var peer: String
    /// The peer's state when last heard, `nil` if it has not been heard (or has gone silent).
    public var peerState: PairState?
    /// The peer's frontend when last heard: where producers go when this broker is passive.
    public var peerFrontend: String?
    /// The passive holds a complete copy of the active's journal (it may take over): said by the
    /// passive of itself, and by the active of its peer.
    public var inSync: Bool

    public init(role: PairRole, state: PairState, epoch: UInt64, peer: String, peerState: PairState?, peerFrontend: String?, inSync: Bool) {
        self.role = role
        self.state = state
        self.epoch = epoch
        self.peer = peer
        self.peerState = peerState
        self.peerFrontend = peerFrontend
        self.inSync = inSync
    }

    enum CodingKeys: String, CodingKey {
        case role, state, epoch, peer, peerState = "peer_state", peerFrontend = "peer_frontend", inSync = "in_sync"
    }

    /// One line for people: "active (primary, epoch 3); peer passive, in sync, frontend tcp://…".
    public var summary: String {
        let peerPart = peerState.map { state in
            "peer \(state.rawValue)" + (state == .passive ? (inSync ? ", in sync" : ", catching up") : "") + (peerFrontend.map { ", frontend \($0)" } ?? "")
        } ?? "peer silent at \(peer)"
        return "\(state.rawValue) (\(role.rawValue), epoch \(epoch)); \(peerPart)"
    }
}
