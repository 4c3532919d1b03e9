/// One of issue 7's targets, checked against the figures of this run.
struct TargetCheck: Encodable {
    let name: String
    /// The measured ratio or size; nil when a scenario it needs was not run.
    let measured: Double?
    let limit: Double
    /// True: met when `measured ≤ limit`; false: met when `measured ≥ limit`.
    let atMost: Bool
    /// `×` for ratios, `%` for spreads, `MB` for memory, `s` and `tasks/s` for absolute figures.
    let unit: String
    /// Which figures the value came from.
    let detail: String

    var met: Bool? { measured.map { atMost ? $0 <= limit : $0 >= limit } }

    enum CodingKeys: String, CodingKey { case name, measured, limit, atMost, unit, detail, met }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(measured, forKey: .measured)
        try container.encode(limit, forKey: .limit)
        try container.encode(atMost, forKey: .atMost)
        try container.encode(unit, forKey: .unit)
        try container.encode(detail, forKey: .detail)
        try container.encode(met, forKey: .met)
    }
}

/// Checks the targets, each as a ratio against a baseline measured in the same run.
struct TargetEvaluator {
    let cases: [CaseResult]
    let memory: [MemoryFigure]
    let recoveries: [RecoveryFigure]

    func checks() -> [TargetCheck] {
        // Routing alone: the memory-on case shows what storing results adds, beside the targets.
        let routes = cases.filter { $0.key.hasPrefix("route/") }
        let journalOff = cases.first { $0.key == "journal/off" }
        let journalCrash = cases.filter { $0.key == "journal/crash" }
        let journalFsync = cases.first { $0.key == "journal/fsync" }
        let proxy = cases.first { $0.key == "proxy" }
        let cBroker = cases.first { $0.key == "cbroker" }
        let scale = cases.filter { $0.scenario == .scale }
        let onePool = scale.first { $0.pools == 1 }
        let thousandPools = scale.filter { $0.pools == 1_000 }
        let tenThousandWorkers = scale.filter { ($0.slots ?? 0) >= 10_000 && $0.pools == 100 }
        return [
            worstRatio("route throughput ≥ 0.8 × C broker (journal off)", routes, over: cBroker, limit: 0.8, atMost: false) { $0.throughput?.median },
            worstRatio("journal crash: throughput ≥ 0.5 × C broker", journalCrash, over: cBroker, limit: 0.5, atMost: false) { $0.throughput?.median },
            worstRatio("route p50 ≤ 1.1 × C broker p50", routes, over: cBroker, limit: 1.1, atMost: true) { $0.latency?.p50 },
            worstRatio("route p99 ≤ 1.5 × C broker p99", routes, over: cBroker, limit: 1.5, atMost: true) { $0.latency?.p99 },
            spread("selectors' broker CPU per task within 10%", routes) { $0.brokerCPUPerTask },
            worstRatio("route p50 ≤ 1.2 × proxy p50", routes, over: proxy, limit: 1.2, atMost: true) { $0.latency?.p50 },
            worstRatio("route p99 ≤ 1.5 × proxy p99", routes, over: proxy, limit: 1.5, atMost: true) { $0.latency?.p99 },
            worstRatio("route throughput ≥ 0.8 × proxy", routes, over: proxy, limit: 0.8, atMost: false) { $0.throughput?.median },
            spread("selectors' p50 within 10%", routes) { $0.latency?.p50 },
            spread("selectors' throughput within 10%", routes) { $0.throughput?.median },
            worstRatio("1,000 pools: p50 ≤ 1.2 × 1-pool p50", thousandPools, over: onePool, limit: 1.2, atMost: true) { $0.latency?.p50 },
            worstRatio("10,000 workers: p50 ≤ 1.2 × proxy p50", tenThousandWorkers, over: proxy, limit: 1.2, atMost: true) { $0.latency?.p50 },
            worstRatio("10,000 workers: p99 ≤ 1.5 × proxy p99", tenThousandWorkers, over: proxy, limit: 1.5, atMost: true) { $0.latency?.p99 },
            worstRatio("10,000 workers: throughput ≥ 0.8 × proxy", tenThousandWorkers, over: proxy, limit: 0.8, atMost: false) { $0.throughput?.median },
            size("broker peak RSS during the route runs ≤ 25 MB", "broker/route", limit: 25, peak: true),
            size("pool process idle ≤ 15 MB", "pool/idle", limit: 15),
            size("broker with 100 pools ≤ 50 MB", "broker/100-pools", limit: 50),
            growth("broker: no growth after the tasks (≤ 1 MB)", from: "broker/warm", to: "broker/after-tasks", limit: 1),
            worstRatio("journal crash: throughput ≥ 0.7 × off", journalCrash, over: journalOff, limit: 0.7, atMost: false) { $0.throughput?.median },
            worstRatio("journal crash: p50 ≤ 1.2 × off", journalCrash, over: journalOff, limit: 1.2, atMost: true) { $0.latency?.p50 },
            TargetCheck(name: "journal fsync: throughput ≥ 20,000 tasks/s", measured: journalFsync?.throughput?.median, limit: 20_000, atMost: false,
                        unit: "tasks/s", detail: journalFsync?.label ?? "not measured in this run"),
            recovery("recovery of 100,000 journaled tasks < 2 s", tasks: 100_000, limit: 2),
            worstRatio("health, 100 pools ≤ 2 × route round trip", cases.filter { $0.key == "health/100" }, over: cases.first { $0.key == "health/100/route" }, limit: 2, atMost: true) { $0.latency?.p50 },
            observed("observe: watched throughput ≥ 0.97 × quiet", limit: 0.97, atMost: false) { $0.throughput?.median },
            observed("observe: watched broker CPU per task ≤ 1.03 × quiet", limit: 1.03, atMost: true) { $0.brokerCPUPerTask },
        ]
    }

    /// `observe`'s figure watched over quiet: the median of its rounds' ratios.
    private func observed(_ name: String, limit: Double, atMost: Bool, _ figure: (CaseResult) -> Double?) -> TargetCheck {
        let ratios = cases.filter { $0.key.hasPrefix("observe/watched/") }.compactMap { watched -> Double? in
            let round = watched.key.split(separator: "/").last!
            guard let quiet = cases.first(where: { $0.key == "observe/quiet/\(round)" }).flatMap(figure), quiet > 0 else { return nil }
            return figure(watched).map { $0 / quiet }
        }
        guard !ratios.isEmpty else { return TargetCheck(name: name, measured: nil, limit: limit, atMost: atMost, unit: "×", detail: "not measured in this run") }
        return TargetCheck(name: name, measured: ratios.median, limit: limit, atMost: atMost, unit: "×",
                           detail: "median of \(ratios.count) rounds' ratios: " + ratios.map { String(format: "%.3f", $0) }.joined(separator: ", "))
    }

    private func worstRatio(
        _ name: String, _ subjects: [CaseResult], over baselineCase: CaseResult?, limit: Double, atMost: Bool,
        _ figure: (CaseResult) -> Double?
    ) -> TargetCheck {
        let baseline = baselineCase.flatMap(figure)
        let ratios = subjects.compactMap { subject in figure(subject).flatMap { value in baseline.map { (subject, value / $0) } } }
        guard let worst = atMost ? ratios.max(by: { $0.1 < $1.1 }) : ratios.min(by: { $0.1 < $1.1 }) else {
            return TargetCheck(name: name, measured: nil, limit: limit, atMost: atMost, unit: "×", detail: "not measured in this run")
        }
        let versus = "\(worst.0.label) vs \(baselineCase!.label)"
        let detail = subjects.count > 1 ? "worst: \(versus)" : versus
        return TargetCheck(name: name, measured: worst.1, limit: limit, atMost: atMost, unit: "×", detail: detail)
    }

    private func recovery(_ name: String, tasks: Int, limit: Double) -> TargetCheck {
        let figure = recoveries.first { $0.key == "journal/recovery" }
        let detail = figure.map { $0.tasks == tasks ? $0.label : "\($0.label) (fewer tasks than the target's)" } ?? "not measured in this run"
        return TargetCheck(name: name, measured: figure?.seconds, limit: limit, atMost: true, unit: "s", detail: detail)
    }

    private func spread(_ name: String, _ subjects: [CaseResult], _ figure: (CaseResult) -> Double?) -> TargetCheck {
        let values = subjects.compactMap { subject in figure(subject).map { (subject.label, $0) } }
        guard values.count > 1, let low = values.min(by: { $0.1 < $1.1 }), let high = values.max(by: { $0.1 < $1.1 }) else {
            return TargetCheck(name: name, measured: nil, limit: 10, atMost: true, unit: "%", detail: "not measured in this run")
        }
        return TargetCheck(name: name, measured: (high.1 / low.1 - 1) * 100, limit: 10, atMost: true, unit: "%", detail: "(highest − lowest) / lowest: \(high.0) vs \(low.0)")
    }

    /// VmRSS of the figure `key`, or its VmHWM if `peak`.
    private func size(_ name: String, _ key: String, limit: Double, peak: Bool = false) -> TargetCheck {
        let figure = memory.first { $0.key == key }
        return TargetCheck(name: name, measured: peak ? figure?.peakMegabytes : figure?.megabytes, limit: limit, atMost: true, unit: "MB",
                           detail: figure?.label ?? "not measured in this run")
    }

    private func growth(_ name: String, from start: String, to end: String, limit: Double) -> TargetCheck {
        guard let first = memory.first(where: { $0.key == start }), let last = memory.first(where: { $0.key == end }) else {
            return TargetCheck(name: name, measured: nil, limit: limit, atMost: true, unit: "MB", detail: "not measured in this run")
        }
        return TargetCheck(name: name, measured: last.megabytes - first.megabytes, limit: limit, atMost: true, unit: "MB", detail: "\(first.label) → \(last.label)")
    }
}
