import MahavishnuCore

/// This broker's half of a primary/backup pair (`broker_role`, `broker_pair_bind`, `broker_peer`).
public struct BrokerPairConfiguration: Sendable {
    public var role: PairRole
    /// Where this broker's pair socket listens for its peer.
    public var bind: String
    /// The peer's pair endpoint.
    public var peer: String
    /// How long the peer may be silent before it counts as gone; state goes out every quarter of it. Default 2 s.
    public var timeout: Duration

    public init(role: PairRole, bind: String, peer: String, timeout: Duration = .seconds(2)) {
        self.role = role
        self.bind = bind
        self.peer = peer
        self.timeout = timeout
    }

    /// Time between `STATE` messages.
    var beat: Duration { timeout / 4 }
}
