import MahavishnuCore

/// One broker's half of the Binary Star state machine: what hearing its peer and a request from
/// a producer or pool do to its state. Pure: the caller passes the time, and acts on the outcome.
///
/// The rules (docs/failover.md): a passive broker takes over only when a producer or pool
/// reaches it *and* the active peer has been silent for `timeout`, so a broker cut off from its
/// peer but not from its clients never makes two actives. Every takeover raises the epoch, and
/// an active broker that hears an active peer with a higher epoch is fenced.
struct PairMachine {
    let role: PairRole
    /// How long the peer may be silent before it counts as gone.
    let timeout: Duration
    private(set) var state: PairState
    private(set) var epoch: UInt64
    private let startedAt: ContinuousClock.Instant
    private(set) var peerHeard: ContinuousClock.Instant?
    private(set) var peerState: PairState?
    private(set) var peerEpoch: UInt64 = 0

    /// What hearing the peer changed.
    enum Change: Equatable {
        case none
        /// This broker must start serving (recover its journal, then route), at `epoch`.
        case becameActive
        /// This broker must follow the active peer: its journal is replaced by the peer's copy.
        case becamePassive
        /// An active peer with a higher epoch took over: this broker must stop at once.
        case fenced(String)
    }

    /// What to do with a request from a producer or pool.
    enum Verdict: Equatable {
        case serve
        /// Take over (then serve): the peer is gone and this broker may.
        case takeOver
        /// Refuse it with `not_active`, for this reason.
        case refuse(String)
    }

    init(role: PairRole, epoch: UInt64, timeout: Duration, now: ContinuousClock.Instant) {
        self.role = role
        self.epoch = epoch
        self.timeout = timeout
        state = role == .primary ? .primary : .backup
        startedAt = now
    }

    /// Whether the peer has not been heard for `timeout` (or ever).
    func peerSilent(at now: ContinuousClock.Instant) -> Bool {
        peerHeard.map { now - $0 > timeout } ?? true
    }

    /// The peer's state, if it has been heard within `timeout`.
    func livePeerState(at now: ContinuousClock.Instant) -> PairState? {
        peerSilent(at: now) ? nil : peerState
    }

    /// The peer said it is in `peer` at `peerEpoch`, with `peerRole`. `inSync`: this broker holds
    /// a complete copy of the peer's journal (a passive may take over from a restarting peer).
    mutating func heard(_ peer: PairState, epoch theirs: UInt64, role peerRole: PairRole, inSync: Bool, now: ContinuousClock.Instant) -> Change {
        peerHeard = now
        peerState = peer
        peerEpoch = max(peerEpoch, theirs)
        switch (state, peer) {
        case (.primary, .backup), (.backup, .primary), (.primary, .primary), (.backup, .backup):
            // Both starting: the one that was active last (the higher epoch) serves; on a tie, the primary.
            guard epoch > theirs || (epoch == theirs && role == .primary && peerRole == .backup) else { return .none }
            return activate()
        case (.primary, .active), (.backup, .active):
            state = .passive
            return .becamePassive
        case (.active, .active):
            guard theirs > epoch || (theirs == epoch && peerRole == .primary && role == .backup) else { return .none }
            return .fenced("the peer is active at epoch \(theirs), above this broker's \(epoch): it took over while this broker was cut off")
        case (.passive, .primary), (.passive, .backup):
            // The active peer restarted: this broker holds the latest journal, if its copy is whole.
            return inSync ? activate() : .none
        case (.active, _), (.passive, .active), (.passive, .passive), (.primary, .passive), (.backup, .passive):
            return .none
        }
    }

    /// A producer or pool reached this broker.
    mutating func request(inSync: Bool, now: ContinuousClock.Instant) -> Verdict {
        switch state {
        case .active:
            return .serve
        case .primary:
            guard peerSilent(at: now), now - startedAt > timeout else {
                return .refuse("the primary broker is starting: it waits up to \(timeout) to hear its backup before it serves")
            }
            _ = activate()
            return .takeOver
        case .backup:
            return .refuse("the backup broker serves only after it has followed an active primary that then went silent")
        case .passive:
            guard peerSilent(at: now) else { return .refuse("this broker is the passive of a pair; the active peer serves") }
            guard inSync else { return .refuse("the active peer is silent, but this broker holds no complete copy of its journal, so it cannot take over") }
            _ = activate()
            return .takeOver
        }
    }

    /// Becomes active at a new epoch, above any this broker has heard of.
    private mutating func activate() -> Change {
        state = .active
        epoch = max(epoch, peerEpoch) + 1
        return .becameActive
    }
}
