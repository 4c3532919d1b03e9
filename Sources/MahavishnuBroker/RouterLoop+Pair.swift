import Logging
import MahavishnuCore
import ZeroMQ

/// The broker pair's side of routing (`docs/failover.md`): refusing producers and pools while
/// not active (or taking over, by the Binary Star rule), streaming the journal to the passive
/// peer and holding replies until it has the records, and applying the stream while passive.
extension RouterLoop {
    /// Starts the pair: no journal recovery and no pools until this broker becomes active.
    func startPair(_ session: PairSession, _ reactor: SocketReactor) {
        _ = journal?.file.takeRecovered()
        reactor.onReadable(session.link.subscriber) { [unowned self] in try drainPeer(session) }
        logger.info("broker pair starting", metadata: [
            "pair.role": "\(session.configuration.role.rawValue)", "pair.epoch": "\(session.machine.epoch)",
            "pair.bind": "\(session.configuration.bind)", "pair.peer": "\(session.configuration.peer)",
        ])
        announcePair(session)
    }

    /// Whether a producer's or pool's message may be served; if not, `refuse` has been told why.
    /// A request that reaches a passive broker whose peer is silent makes it take over.
    func pairAdmits(_ refuse: (String) -> Void) throws -> Bool {
        guard let pair, !pair.isActive else { return true }
        switch pair.machine.request(inSync: pair.replica.inSync, now: .now) {
        case .serve:
            return true
        case .takeOver:
            logger.notice("the peer is silent and a client reached this broker: taking over", metadata: ["pair.epoch": "\(pair.machine.epoch)"])
            try becomeActive(pair)
            return true
        case .refuse(let reason):
            stats.refusedNotActive += 1
            refuse(reason + pair.redirect)
            return false
        }
    }

    /// Serves from now on: stores the new epoch, recovers the journal the peer streamed (or this
    /// broker's own), and starts the configured pools.
    private func becomeActive(_ pair: PairSession) throws {
        try pair.epochFile.write(pair.machine.epoch)
        if let old = journal {
            let (path, mode) = (old.file.path, old.mode)
            old.close()
            let fresh = try Journal(path: path, mode: mode, logger: logger)
            fresh.writeTimes = metrics.journalWrites
            journal = fresh
        }
        journal?.onWrite = { [unowned pair] records in
            guard pair.isActive, pair.source.generation != 0 else { return }
            pair.link.send(.records(generation: pair.source.generation, sequence: pair.source.nextSequence(), records: records))
        }
        awaitedPools = AwaitedPools(deadline: .now + configuration.affinityWait)
        try recoverFromJournal()
        for request in configuration.initialPools { spawn(request, reply: nil) }
        sendState(pair)
        announcePair(pair)
    }

    /// Reads what the peer sent: its state, and while passive the journal stream, acknowledged once per batch.
    private func drainPeer(_ pair: PairSession) throws {
        for _ in 0..<256 {
            guard let received = try pair.link.receive() else { break }
            guard let message = received else {
                stats.malformedPeer += 1
                continue
            }
            try handlePeer(message, pair)
        }
        if let file = journal?.file, let ack = try pair.replica.acknowledgement(of: file) { pair.link.send(ack) }
    }

    private func handlePeer(_ message: PeerMessage, _ pair: PairSession) throws {
        let now = ContinuousClock.now
        switch message {
        case .state(let role, let state, let epoch, let frontend, let generation, let applied):
            pair.peerFrontend = frontend
            let before = pair.machine.state
            switch pair.machine.heard(state, epoch: epoch, role: role, inSync: pair.replica.inSync, now: now) {
            case .none: break
            case .becameActive: try becomeActive(pair)
            case .becamePassive:
                logger.notice("following the active peer", metadata: ["pair.peer": "\(pair.configuration.peer)", "pair.peer_epoch": "\(epoch)"])
                announcePair(pair)
            case .fenced(let reason):
                throw BrokerError(code: .fenced, message: "fenced: \(reason); this broker stops so it never acts as a second active. Restart it: it rejoins as the passive and copies the active's journal")
            }
            if before != pair.machine.state { sendState(pair) }
            pair.aloneLogged = false
            guard pair.isActive, state == .passive else { break }
            if pair.source.peerReported(generation: generation, applied: applied, at: now, patience: pair.configuration.timeout * 2) {
                try sendSnapshot(pair)
            }
            releaseHeldForPeer(pair)
        case .ack(let generation, let sequence):
            guard pair.isActive else { break }
            pair.source.acknowledge(generation: generation, sequence: sequence)
            releaseHeldForPeer(pair)
            try stepDownIfDue(pair)
        case .yield(let epoch):
            guard pair.isActive, epoch == pair.machine.epoch else { break }
            logger.notice("the peer was promoted: stepping down once it holds everything", metadata: ["pair.epoch": "\(epoch)"])
            pair.steppingDown = true
            try stepDownIfDue(pair)
        case .snapshot, .synced, .records:
            guard pair.machine.state == .passive, let file = journal?.file else { break }
            try pair.replica.apply(message, to: file)
        }
    }

    /// Exits (as a fenced broker does) once a promoted peer has acknowledged everything this one sent.
    private func stepDownIfDue(_ pair: PairSession) throws {
        guard pair.steppingDown, pair.source.peerFollows, !pair.source.holdsMessages else { return }
        throw BrokerError(code: .fenced, message: "stepped down: the peer was promoted (mahavishnu broker promote) and holds this broker's journal; it serves from now on. Restart this broker: it rejoins as the passive")
    }

    /// `promote`, asked of the passive: asks the active peer to step down (it takes over on the next request once the peer is gone).
    func promote(reply: ControlReply) {
        guard let pair else {
            return replyError(reply.address, reference: reply.requestID, .invalidArgument, "this broker is not one of a pair (broker_role); there is nothing to promote it over")
        }
        let now = ContinuousClock.now
        guard pair.machine.state == .passive else {
            return replyError(reply.address, reference: reply.requestID, .invalidArgument, "this broker is \(pair.machine.state.rawValue), not passive; promote the passive broker of the pair")
        }
        guard pair.machine.livePeerState(at: now) == .active else {
            return replyError(reply.address, reference: reply.requestID, .invalidArgument, "the active peer is silent; this broker takes over by itself on the next request")
        }
        guard pair.replica.inSync else {
            return replyError(reply.address, reference: reply.requestID, .invalidArgument, "this broker holds no complete copy of the active's journal yet; promote it once pool health says 'in sync'")
        }
        pair.link.send(.yield(epoch: pair.machine.peerEpoch))
        sendReply(reply, PromoteReply(peerEpoch: pair.machine.peerEpoch,
                                      message: "asked the active peer (epoch \(pair.machine.peerEpoch)) to step down; this broker takes over on the next request once the peer is gone, at epoch \(pair.machine.peerEpoch + 1)"))
    }

    /// Sends the live state as a new generation's snapshot; what was held for the old one goes out.
    private func sendSnapshot(_ pair: PairSession) throws {
        journal?.flush()
        let generation = pair.source.beginSnapshot(at: .now)
        releaseHeldForPeer(pair)
        try encodeLiveState { (records) throws(JournalError) in
            pair.link.send(.snapshot(generation: generation, sequence: pair.source.nextSequence(), records: records))
        }
        if pair.source.sequence == 0 {
            // An empty state is one empty part, so the passive always begins a fresh file.
            pair.link.send(.snapshot(generation: generation, sequence: pair.source.nextSequence(), records: []))
        }
        pair.link.send(.synced(generation: generation, sequence: pair.source.sequence))
        logger.info("journal snapshot sent to the passive peer", metadata: ["pair.generation": "\(generation)", "pair.parts": "\(pair.source.sequence)"])
    }

    /// Whether this pass's messages wait for the passive to acknowledge their records.
    var holdsForPeer: Bool {
        guard let pair, pair.isActive else { return false }
        return pair.source.peerFollows && !pair.machine.peerSilent(at: .now)
    }

    /// Sends the held messages the passive has acknowledged (all of them once it no longer follows).
    func releaseHeldForPeer(_ pair: PairSession) {
        guard pair.source.holdsMessages else { return }
        send(pair.source.releasable())
    }

    /// The pair's heartbeat: `STATE` to the peer, and the held messages released once it is silent.
    func pairTick(_ pair: PairSession, _ now: ContinuousClock.Instant) {
        guard now >= pair.nextBeat else { return }
        pair.nextBeat = now + pair.configuration.beat
        sendState(pair)
        guard pair.isActive, pair.machine.peerSilent(at: now), pair.source.peerFollows || pair.source.holdsMessages else { return }
        pair.source.peerLost()
        if !pair.aloneLogged {
            logger.warning("the passive peer is silent: this broker acknowledges without it until it returns", metadata: ["pair.peer": "\(pair.configuration.peer)"])
            pair.aloneLogged = true
        }
        releaseHeldForPeer(pair)
    }

    private func sendState(_ pair: PairSession) {
        pair.link.send(.state(role: pair.configuration.role, state: pair.machine.state, epoch: pair.machine.epoch, frontend: info.frontend,
                              generation: pair.isActive ? 0 : pair.replica.reportedGeneration, applied: pair.replica.applied))
    }

    private func announcePair(_ pair: PairSession) {
        configuration.onEvent(.pairChanged(pair.status(at: .now)))
    }
}
