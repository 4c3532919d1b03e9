import ArgumentParser

/// The scenarios, each selectable by name on the command line.
enum ScenarioName: String, CaseIterable, Codable, ExpressibleByArgument {
    /// Producer ↔ echo ROUTER in another process: the one-hop floor.
    case echo
    /// Producer → `zmq_proxy` → echo processes: the two-hop floor.
    case proxy
    /// Producer → a minimal credit-based broker in C → C echo workers: the floor routing is held to.
    case cbroker
    /// Producer → broker → pool processes, once per selector.
    case route
    /// Route latency and throughput against the number of registered pools.
    case scale
    /// The broker's control round trip with 1 and 100 pools.
    case health
    /// Resident memory of the broker and of a pool process.
    case memory
    /// `route least_loaded` with `journal_mode` off, crash and fsync, side by side; recovery time.
    case journal
    /// `route least_loaded` through another build (`--baseline`) and this one, alternately.
    case compare
    /// Tasks with a priority and a deadline against plain ones; delayed tasks held and released on time.
    case lifecycle
    /// `route least_loaded` while Prometheus scrapes `/metrics` every second and a dashboard polls, against without.
    case observe

    /// What runs when none is named: everything, and `compare` only with a baseline to compare against.
    static func defaults(withBaseline: Bool) -> [ScenarioName] {
        allCases.filter { $0 != .compare || withBaseline }
    }
}

/// How much each scenario measures: the full run, or `--quick` for CI's smoke test.
struct BenchPlan: Codable {
    /// `full` or `quick`.
    let mode: String
    /// Timed sequential round trips per latency measurement.
    let latencySamples: Int
    /// Untimed round trips before them.
    let warmUpRoundTrips: Int
    /// Requests per throughput run.
    let throughputTasks: Int
    /// Throughput runs per case; the median is reported.
    let throughputRuns: Int
    /// Requests in flight during a throughput run, in every scenario.
    let window: Int
    /// Processes behind the entry point in `proxy` (echo servers) and `route` (pool processes).
    let backends: Int
    /// Echo workers per pool process in `route`: `route` gets at least `window` slots.
    let workersPerPool: Int
    /// Registered pools per `scale` case (fake pools), each with enough workers to give `window` slots.
    let scalePoolCounts: [Int]
    /// Workers per pool in the 10,000-worker case, with as many pools.
    let manyWorkers: Int
    /// Tasks run through the broker before its "warm" memory reading: more than the broker's
    /// result cache holds (10,000 by default), so the cache is full before growth is judged.
    let memoryWarmUpTasks: Int
    /// Tasks run through the broker in all before its "after" memory reading.
    let memoryTasks: Int
    /// Tasks run through the 100-worker pool before its memory reading.
    let poolMemoryTasks: Int
    /// Waiting tasks a journal holds when `journal` times a broker's recovery from it.
    let recoveryTasks: Int
    /// Delayed tasks `lifecycle` has a broker hold, then release on time.
    let delayedTasks: Int
    /// Their etas spread evenly over this many seconds, the first this many seconds after sending starts.
    let delaySpreadSeconds: Double
    let delayLeadSeconds: Double
    /// Partial outputs one streaming task sends through the broker in `lifecycle`.
    let streamPartials: Int
    /// Rounds of `observe`, each one case with nobody watching and one watched.
    let observeRounds: Int

    static let full = BenchPlan(
        mode: "full", latencySamples: 20_000, warmUpRoundTrips: 2_000, throughputTasks: 200_000, throughputRuns: 3,
        window: 100, backends: 2, workersPerPool: 100, scalePoolCounts: [1, 10, 100, 1_000], manyWorkers: 100,
        memoryWarmUpTasks: 100_000, memoryTasks: 1_000_000, poolMemoryTasks: 100_000, recoveryTasks: 100_000,
        delayedTasks: 100_000, delaySpreadSeconds: 10, delayLeadSeconds: 10, streamPartials: 200_000, observeRounds: 4
    )

    static let quick = BenchPlan(
        mode: "quick", latencySamples: 2_000, warmUpRoundTrips: 300, throughputTasks: 20_000, throughputRuns: 1,
        window: 100, backends: 2, workersPerPool: 100, scalePoolCounts: [1, 10, 100, 1_000], manyWorkers: 100,
        memoryWarmUpTasks: 30_000, memoryTasks: 100_000, poolMemoryTasks: 10_000, recoveryTasks: 10_000,
        delayedTasks: 10_000, delaySpreadSeconds: 2, delayLeadSeconds: 4, streamPartials: 20_000, observeRounds: 2
    )
}
