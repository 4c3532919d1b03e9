import MahavishnuCore

/// What the router loop keeps for its pair: the state machine, the link, and both ends of the
/// journal stream (the source while active, the replica while passive).
///
/// - Important: owned by the router thread.
final class PairSession {
    let configuration: BrokerPairConfiguration
    let link: PairLink
    let epochFile: EpochFile
    var machine: PairMachine
    var source = ReplicationSource()
    var replica: JournalReplica
    /// The peer's frontend, from its last `STATE`.
    var peerFrontend: String?
    var nextBeat = ContinuousClock.now
    /// Whether the log has said that the active acknowledges without its silent peer.
    var aloneLogged = false
    /// The peer was promoted: this active broker exits once the peer has everything it sent.
    var steppingDown = false

    init(configuration: BrokerPairConfiguration, link: PairLink, epochFile: EpochFile, epoch: UInt64, durable: Bool) {
        self.configuration = configuration
        self.link = link
        self.epochFile = epochFile
        machine = PairMachine(role: configuration.role, epoch: epoch, timeout: configuration.timeout, now: .now)
        replica = JournalReplica(durable: durable)
    }

    var isActive: Bool { machine.state == .active }

    func status(at now: ContinuousClock.Instant) -> PairStatus {
        PairStatus(role: configuration.role, state: machine.state, epoch: machine.epoch, peer: configuration.peer,
                   peerState: machine.livePeerState(at: now), peerFrontend: peerFrontend, inSync: isActive ? source.peerFollows : replica.inSync)
    }

    /// Where a refused producer or pool should go, for the `not_active` message.
    var redirect: String {
        peerFrontend.map { "; the active broker's frontend is \($0)" } ?? ""
    }
}
