@testable import MahavishnuBroker
import MahavishnuCore
import Testing

/// The Binary Star rules of `PairMachine` (docs/failover.md), at instants the test picks.
@Suite("Broker pair state machine")
struct PairMachineTests {
    let start = ContinuousClock.now
    let timeout = Duration.seconds(2)

    func machine(_ role: PairRole, epoch: UInt64 = 0) -> PairMachine {
        PairMachine(role: role, epoch: epoch, timeout: timeout, now: start)
    }

    @Test("started together: the primary becomes active at epoch 1, the backup passive")
    func startedTogether() {
        var primary = machine(.primary), backup = machine(.backup)
        #expect(backup.heard(.primary, epoch: 0, role: .primary, inSync: false, now: start) == .none)
        #expect(primary.heard(.backup, epoch: 0, role: .backup, inSync: false, now: start) == .becameActive)
        #expect(primary.state == .active && primary.epoch == 1)
        #expect(backup.heard(.active, epoch: 1, role: .primary, inSync: false, now: start) == .becamePassive)
        #expect(backup.state == .passive)
        #expect(backup.request(inSync: true, now: start + .milliseconds(500)) == .refuse("this broker is the passive of a pair; the active peer serves"))
    }

    @Test("a backup alone never serves, however long it waits")
    func backupAlone() {
        var backup = machine(.backup)
        for seconds in [0, 3, 60, 3600] {
            guard case .refuse = backup.request(inSync: true, now: start + .seconds(seconds)) else {
                Issue.record("a lone backup served after \(seconds) s")
                return
            }
        }
        #expect(backup.state == .backup && backup.epoch == 0)
    }

    @Test("a primary alone serves only after one peer timeout in silence")
    func primaryAlone() {
        var primary = machine(.primary, epoch: 4)
        guard case .refuse = primary.request(inSync: false, now: start + .seconds(1)) else {
            Issue.record("served before the timeout")
            return
        }
        #expect(primary.request(inSync: false, now: start + .seconds(3)) == .takeOver)
        #expect(primary.state == .active && primary.epoch == 5)
    }

    @Test("the passive takes over only on a request, with its peer silent and its copy whole, above both epochs")
    func takeover() {
        var backup = machine(.backup, epoch: 2)
        _ = backup.heard(.active, epoch: 7, role: .primary, inSync: false, now: start)
        let silent = start + .seconds(3)
        #expect(backup.state == .passive, "silence alone changes nothing")
        #expect(backup.request(inSync: false, now: silent) == .refuse("the active peer is silent, but this broker holds no complete copy of its journal, so it cannot take over"))
        #expect(backup.request(inSync: true, now: silent) == .takeOver)
        #expect(backup.state == .active && backup.epoch == 8)
    }

    @Test("an active broker that hears an active peer at a higher epoch is fenced; at a lower one it stays")
    func fencing() {
        var primary = machine(.primary)
        _ = primary.heard(.backup, epoch: 0, role: .backup, inSync: false, now: start)
        #expect(primary.heard(.active, epoch: 1, role: .backup, inSync: false, now: start) == .none, "a tie goes to the primary")
        guard case .fenced(let reason) = primary.heard(.active, epoch: 2, role: .backup, inSync: false, now: start) else {
            Issue.record("a stale active was not fenced")
            return
        }
        #expect(reason.contains("epoch 2, above this broker's 1"))
        var backup = machine(.backup, epoch: 1)
        _ = backup.heard(.active, epoch: 1, role: .primary, inSync: true, now: start)
        _ = backup.request(inSync: true, now: start + .seconds(3))
        #expect(backup.state == .active && backup.epoch == 2)
        #expect(backup.heard(.active, epoch: 1, role: .primary, inSync: false, now: start + .seconds(4)) == .none, "the stale one is fenced, not this one")
    }

    @Test("a passive whose active peer restarted serves if its copy is whole")
    func activeRestarted() {
        var backup = machine(.backup)
        _ = backup.heard(.active, epoch: 1, role: .primary, inSync: true, now: start)
        #expect(backup.heard(.primary, epoch: 1, role: .primary, inSync: false, now: start + .seconds(1)) == .none)
        #expect(backup.heard(.primary, epoch: 1, role: .primary, inSync: true, now: start + .seconds(1)) == .becameActive)
        #expect(backup.epoch == 2)
    }

    @Test("peer messages round-trip through their frames; a malformed one decodes to nothing", arguments: [
        PeerMessage.state(role: .backup, state: .passive, epoch: 3, frontend: "tcp://10.0.0.11:5555", generation: 2, applied: 41),
        .snapshot(generation: 2, sequence: 1, records: [1, 2, 3]),
        .synced(generation: 2, sequence: 9),
        .records(generation: 2, sequence: 10, records: []),
        .ack(generation: 2, sequence: 10),
        .yield(epoch: 3),
    ])
    func peerMessages(message: PeerMessage) {
        #expect(PeerMessage(frames: message.frames) == message)
        #expect(PeerMessage(frames: Array(message.frames.dropLast())) == nil)
        #expect(PeerMessage(frames: [Array("MHV2".utf8)] + message.frames.dropFirst()) == nil)
    }
}
