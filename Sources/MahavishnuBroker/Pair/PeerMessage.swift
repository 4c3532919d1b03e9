import MahavishnuCore
import ZeroMQ

/// What the brokers of a pair tell each other on their pair sockets (`docs/failover.md`):
/// `MHV1`, `PEER`, a kind, then its fields as decimal numbers and byte strings.
///
/// The active broker streams its journal: a snapshot of its live state in numbered chunks,
/// then every batch of records it writes, numbered on; the passive applies them in order and
/// acknowledges each. A gap (a message dropped at the high-water mark) makes the passive ask
/// for a fresh snapshot, by reporting generation 0 in its `STATE`.
enum PeerMessage: Equatable {
    /// Every heartbeat, and at once on a change. `generation`/`applied`: how far the sender has
    /// applied the peer's stream (0 when it holds no complete copy).
    case state(role: PairRole, state: PairState, epoch: UInt64, frontend: String, generation: UInt64, applied: UInt64)
    /// Part `sequence` of the snapshot that starts `generation`.
    case snapshot(generation: UInt64, sequence: UInt64, records: [UInt8])
    /// The snapshot of `generation` is complete with part `sequence`.
    case synced(generation: UInt64, sequence: UInt64)
    /// Records the active wrote after the snapshot, in order.
    case records(generation: UInt64, sequence: UInt64, records: [UInt8])
    /// The passive has applied (written, and with `fsync` synced) everything up to `sequence`.
    case ack(generation: UInt64, sequence: UInt64)
    /// The passive was promoted (`mahavishnu broker promote`): the active at `epoch` steps down.
    case yield(epoch: UInt64)

    static let command: [UInt8] = Array("PEER".utf8)

    var frames: [[UInt8]] {
        func number(_ value: UInt64) -> [UInt8] { Array(String(value).utf8) }
        let fields: [[UInt8]] = switch self {
        case .state(let role, let state, let epoch, let frontend, let generation, let applied):
            [Array("STATE".utf8), Array(role.rawValue.utf8), Array(state.rawValue.utf8), number(epoch), Array(frontend.utf8), number(generation), number(applied)]
        case .snapshot(let generation, let sequence, let records):
            [Array("SNAPSHOT".utf8), number(generation), number(sequence), records]
        case .synced(let generation, let sequence):
            [Array("SYNCED".utf8), number(generation), number(sequence)]
        case .records(let generation, let sequence, let records):
            [Array("RECORDS".utf8), number(generation), number(sequence), records]
        case .ack(let generation, let sequence):
            [Array("ACK".utf8), number(generation), number(sequence)]
        case .yield(let epoch):
            [Array("YIELD".utf8), number(epoch)]
        }
        return [Wire.version, Self.command] + fields
    }

    /// Decodes a message; `nil` for anything that is not one (the caller counts and logs it).
    init?(frames parts: [[UInt8]]) {
        guard parts.count >= 3, parts[0] == Wire.version, parts[1] == Self.command else { return nil }
        func text(_ index: Int) -> String? { index < parts.count ? String(decoding: parts[index], as: UTF8.self) : nil }
        func number(_ index: Int) -> UInt64? { text(index).flatMap { UInt64($0) } }
        let fields = parts.count - 3
        switch text(2) {
        case "STATE":
            guard fields == 6, let role = text(3).flatMap(PairRole.init(rawValue:)), let state = text(4).flatMap(PairState.init(rawValue:)),
                  let epoch = number(5), let frontend = text(6), let generation = number(7), let applied = number(8) else { return nil }
            self = .state(role: role, state: state, epoch: epoch, frontend: frontend, generation: generation, applied: applied)
        case "SNAPSHOT":
            guard fields == 3, let generation = number(3), let sequence = number(4) else { return nil }
            self = .snapshot(generation: generation, sequence: sequence, records: parts[5])
        case "SYNCED":
            guard fields == 2, let generation = number(3), let sequence = number(4) else { return nil }
            self = .synced(generation: generation, sequence: sequence)
        case "RECORDS":
            guard fields == 3, let generation = number(3), let sequence = number(4) else { return nil }
            self = .records(generation: generation, sequence: sequence, records: parts[5])
        case "ACK":
            guard fields == 2, let generation = number(3), let sequence = number(4) else { return nil }
            self = .ack(generation: generation, sequence: sequence)
        case "YIELD":
            guard fields == 1, let epoch = number(3) else { return nil }
            self = .yield(epoch: epoch)
        default:
            return nil
        }
    }
}
