import MahavishnuCore
import Testing

@Suite("HealthReport JSON matches JSONEncoder")
struct HealthReportJSONTests {
    /// A pool in each status, with awkward text in every string and a reason only where it is set.
    static let awkwardPools: [PoolHealth] = [
        PoolHealth(poolID: "pool_a", name: "a", type: "mahavishnu", status: .healthy, workers: 4, activeWorkers: 2, min: 1, max: 8, queueDepth: 0, lastHeartbeatMs: 12),
        PoolHealth(poolID: FastJSONTests.awkwardText, name: FastJSONTests.awkwardText, type: FastJSONTests.awkwardText, status: .unhealthy,
                   workers: 0, activeWorkers: 0, min: 0, max: 0, queueDepth: 3, lastHeartbeatMs: 1_001, reason: FastJSONTests.awkwardText),
        PoolHealth(poolID: "p\"q\\r", name: "é€😀", type: "\u{0}\u{1F}\u{7F}", status: .unhealthy, workers: 1, activeWorkers: 1, min: 1, max: 1,
                   queueDepth: 0, lastHeartbeatMs: 0, reason: ""),
        PoolHealth(poolID: "d", name: "draining", type: "t", status: .draining, workers: Int.max, activeWorkers: -1, min: Int.min, max: 2, queueDepth: 7, lastHeartbeatMs: 5),
        PoolHealth(poolID: "l", name: "lost", type: "t", status: .lost, workers: 1, activeWorkers: 0, min: 1, max: 1, queueDepth: 0, lastHeartbeatMs: 15_000),
    ]

    @Test("reports encode byte for byte like JSONEncoder and decode back unchanged", arguments: [
        HealthReport(status: .unhealthy, poolsActive: 0, queueDepth: 0, pools: []),
        HealthReport(status: .degraded, poolsActive: 1, queueDepth: 42, pools: awkwardPools),
        HealthReport(status: .healthy, poolsActive: 1, queueDepth: 0, pools: [awkwardPools[0]]),
        HealthReport(status: .healthy, poolsActive: 1, queueDepth: 0, pools: [awkwardPools[0]], pair: PairStatus(
            role: .backup, state: .active, epoch: 7, peer: "tcp://10.0.0.1:5559", peerState: nil, peerFrontend: "tcp://10.0.0.1:5555", inSync: false)),
        HealthReport(status: .unhealthy, poolsActive: 0, queueDepth: 0, pools: [], pair: PairStatus(
            role: .primary, state: .passive, epoch: 2, peer: "tcp://b:5559", peerState: .active, peerFrontend: nil, inSync: true)),
        HealthReport(status: .healthy, poolsActive: 100, queueDepth: 0, pools: (0..<100).map {
            PoolHealth(poolID: "pool_\($0)", name: "pool-\($0)", type: "bench-fake", status: .healthy, workers: 1, activeWorkers: $0 % 2, min: 1, max: 1, queueDepth: 0, lastHeartbeatMs: $0 * 10)
        }),
    ])
    func matchesJSONCoding(report: HealthReport) throws {
        let bytes = try JSONCoding.encode(report)
        #expect(try bytes == Reference.encode(report))
        #expect(try Reference.decode(HealthReport.self, from: bytes) == report)
    }
}
