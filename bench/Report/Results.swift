/// Everything one run measured, as written to the JSON file.
struct BenchReport: Encodable {
    let command: String
    let machine: Machine
    let plan: BenchPlan
    let scenarios: [ScenarioName]
    let startedAt: String
    let seconds: Double
    /// Load averages (1, 5, 15 min) when the run started and when it ended.
    let loadAtStart: [Double]
    let loadAtEnd: [Double]
    let cases: [CaseResult]
    let memory: [MemoryFigure]
    let recoveries: [RecoveryFigure]
    let targets: [TargetCheck]
    let notes: [String]
}

/// One measured setup: a baseline, a selector, a pool count.
struct CaseResult: Codable {
    /// Stable key, e.g. `route/least_loaded` or `scale/1000x1`.
    let key: String
    let scenario: ScenarioName
    /// Short label for tables and plots.
    let label: String
    /// The processes and sockets behind the figures.
    let setup: String
    /// Pools registered with the broker (nil for the baselines).
    let pools: Int?
    /// In-flight slots behind the entry point: tasks the backends accept at once (nil: no limit).
    let slots: Int?
    var latency: LatencySummary?
    var throughput: ThroughputSummary?
    /// CPU time the broker used per task over the throughput runs, in microseconds; measured
    /// where a scenario asks for it.
    var brokerCPUPerTask: Double?
}

/// Throughput of one case: `tasks` requests per run with `window` in flight.
struct ThroughputSummary: Codable {
    let tasks: Int
    let window: Int
    /// Requests answered per second, one figure per run.
    let runs: [Double]
    /// The median of `runs`: the figure tables and ratios use.
    let median: Double

    init(tasks: Int, window: Int, runs: [Double]) {
        self.tasks = tasks
        self.window = window
        self.runs = runs
        median = runs.median
    }
}

/// How long a broker took to start on a journal of `tasks` waiting tasks.
struct RecoveryFigure: Codable {
    let key: String
    let label: String
    let tasks: Int
    /// From starting the process to its ready line.
    let seconds: Double
}

/// One resident-memory reading from `/proc/PID/status`.
struct MemoryFigure: Codable {
    /// Stable key, e.g. `broker/100-pools`.
    let key: String
    let label: String
    let resident: ResidentMemory

    /// VmRSS in MB (10⁶ bytes): what the targets are checked against.
    var megabytes: Double { Double(resident.bytes) / 1_000_000 }
    /// VmHWM in MB: the most the process has had resident.
    var peakMegabytes: Double { Double(resident.peakBytes) / 1_000_000 }
}

extension Array<Double> {
    /// The middle value (the mean of the two middle ones for an even count); 0 for none.
    var median: Double {
        guard !isEmpty else { return 0 }
        let sorted = self.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
