/// The broker answers `health` on its routing thread, where JSONEncoder took about twice as
/// long as a task's whole round trip once 100 pools were registered.
extension HealthReport: FastJSONEncodable {
    public func fastJSON() -> [UInt8]? {
        let text = pools.reduce(0) { $0 + $1.poolID.utf8.count + $1.name.utf8.count + $1.type.utf8.count + ($1.reason?.utf8.count ?? 0) }
        var writer = JSONObjectWriter(capacity: 96 + 224 * pools.count + text)
        // Keys in sorted order, as `JSONCoding` sorts them; a nil reason or pair is left out.
        if let pair {
            guard let json = try? JSONCoding.encode(pair) else { return nil }
            writer.field(#""pair":"#, json: json)
        }
        writer.field(#""pools":"#, objects: pools) { writer, pool in
            writer.field(#""active_workers":"#, number: String(pool.activeWorkers))
            writer.field(#""last_heartbeat_ms":"#, number: String(pool.lastHeartbeatMs))
            writer.field(#""max":"#, number: String(pool.max))
            writer.field(#""min":"#, number: String(pool.min))
            writer.field(#""name":"#, string: pool.name)
            writer.field(#""pool_id":"#, string: pool.poolID)
            writer.field(#""queue_depth":"#, number: String(pool.queueDepth))
            if let reason = pool.reason { writer.field(#""reason":"#, string: reason) }
            writer.field(#""status":"#, string: pool.status.rawValue)
            writer.field(#""type":"#, string: pool.type)
            writer.field(#""workers":"#, number: String(pool.workers))
        }
        writer.field(#""pools_active":"#, number: String(poolsActive))
        writer.field(#""queue_depth":"#, number: String(queueDepth))
        writer.field(#""status":"#, string: status.rawValue)
        return writer.finish()
    }
}
