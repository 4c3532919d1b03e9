import MahavishnuCore
import ZeroMQ

/// A pool's vitals from its latest heartbeat, decoded when they arrive rather than on every
/// `health` or `metrics` request.
///
/// An idle pool's vitals rarely change between beats: those heartbeats cost a comparison, not a decode.
struct HeartbeatVitals {
    /// The vitals JSON as the pool last sent it; empty before its first heartbeat with vitals.
    private var json: [UInt8] = []
    /// `json` decoded; nil before the first heartbeat with vitals, or when they are unreadable.
    private(set) var decoded: PoolVitals?

    /// Takes a heartbeat's vitals, decoding them only if they differ from the last ones.
    mutating func update(from vitals: [UInt8]) {
        guard vitals != json else { return }
        json = vitals
        decoded = try? JSONCoding.decode(PoolVitals.self, from: json)
    }
}
