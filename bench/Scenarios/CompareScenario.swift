import Foundation
import MahavishnuCore

/// `compare`: `route least_loaded` through the baseline build's broker and pools and through
/// this build's, alternately, twice each (baseline, this, baseline, this), with the same plan.
/// Alternating spreads the machine's drift over both builds; the note gives this build's
/// figures over the baseline's, each the mean of its two rounds.
extension BenchSession {
    func runCompare() throws {
        guard let baseline else { throw BenchError("compare needs --baseline DIR") }
        var rounds: [(baseline: CaseResult, this: CaseResult)] = []
        for round in 1...2 {
            let before = try measureRoute(build: baseline, key: "compare/baseline/\(round)", label: "route least_loaded, baseline, round \(round)")
            let after = try measureRoute(build: nil, key: "compare/this/\(round)", label: "route least_loaded, this build, round \(round)")
            rounds.append((before, after))
        }
        let mean = { (figures: [Double?]) -> Double? in
            let known = figures.compactMap { $0 }
            return known.count == figures.count ? known.reduce(0, +) / Double(known.count) : nil
        }
        let ratio = { (pick: (CaseResult) -> Double?) -> String in
            guard let this = mean(rounds.map { pick($0.this) }), let before = mean(rounds.map { pick($0.baseline) }), before > 0 else { return "—" }
            return String(format: "%.2f×", this / before)
        }
        note("compare: this build over \(baseline.name): throughput \(ratio { $0.throughput?.median }), p50 \(ratio { $0.latency?.p50 }), p99 \(ratio { $0.latency?.p99 }) (means of two alternating rounds each).")
    }

    private func measureRoute(build: MahavishnuBuild?, key: String, label: String) throws -> CaseResult {
        var result: CaseResult?
        try withRouteFleet(memoryDatabase: nil, build: build) { broker, _, fleet in
            result = try measure(
                key, scenario: .compare, label: label, setup: "\(fleet), \(build?.name ?? "this build")",
                pools: plan.backends, slots: plan.backends * plan.workersPerPool,
                exchange: .task(selector: .leastLoaded), endpoint: broker.frontend
            )
        }
        return result!
    }
}
