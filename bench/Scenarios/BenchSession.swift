import Foundation
import ZeroMQ

/// What one bench run shares across its scenarios: the plan, the producer's ZeroMQ context,
/// where child logs go, progress, and every figure measured so far.
///
/// - Important: used from one thread, which owns every producer socket.
final class BenchSession {
    let plan: BenchPlan
    let context: Context
    let logDirectory: URL
    let progress: Progress
    /// Another build to measure this one against (`--baseline`), for `compare`.
    let baseline: MahavishnuBuild?
    private(set) var cases: [CaseResult] = []
    private(set) var memory: [MemoryFigure] = []
    private(set) var recoveries: [RecoveryFigure] = []
    private(set) var notes: [String] = []

    init(plan: BenchPlan, logDirectory: URL, progress: Progress, baseline: MahavishnuBuild?) throws {
        self.plan = plan
        self.logDirectory = logDirectory
        self.progress = progress
        self.baseline = baseline
        context = try Context()
    }

    /// The memory database of brokers that store results, beside the report (emptied for each
    /// such broker): never the user's own.
    var memoryDatabase: URL { logDirectory.deletingLastPathComponent().appendingPathComponent("memory.sqlite") }

    /// A journal file beside the report for a broker in `mode`, with no journal left from an earlier run.
    func freshJournal(_ name: String, mode: String) -> BenchJournal {
        let file = logDirectory.deletingLastPathComponent().appendingPathComponent("\(name).journal")
        for suffix in ["", ".lock", ".compacting"] { try? FileManager.default.removeItem(atPath: file.path + suffix) }
        return .on(mode: mode, file: file)
    }

    /// Runs `body` with a fresh set of child processes, stopped by pid when it returns or throws.
    func withProcesses<T>(_ body: (ProcessSet) throws -> T) throws -> T {
        let processes = try ProcessSet(logDirectory: logDirectory)
        defer { processes.stopAll() }
        return try body(processes)
    }

    /// Runs `body` with a producer connected to `endpoint`, closed when it returns or throws.
    func withDriver<T>(_ exchange: Exchange, at endpoint: String, target: String, _ body: (RoundTripDriver) throws -> T) throws -> T {
        let driver = try RoundTripDriver(context: context, endpoint: endpoint, exchange: exchange, target: target)
        defer { driver.close() }
        return try body(driver)
    }

    /// Measures the latency and, unless `latencyOnly`, the throughput of `exchange` at `endpoint`
    /// with the C load generator (and the CPU time process `cpuOf` used for the throughput, if
    /// given); records the case.
    @discardableResult
    func measure(
        _ key: String, scenario: ScenarioName, label: String, setup: String, pools: Int?, slots: Int?,
        exchange: Exchange, endpoint: String, latencyOnly: Bool = false, cpuOf broker: pid_t? = nil
    ) throws -> CaseResult {
        var result = CaseResult(key: key, scenario: scenario, label: label, setup: setup, pools: pools, slots: slots)
        progress.say("\(label): \(plan.latencySamples) sequential round trips" + (latencyOnly ? "" : ", then \(plan.throughputRuns) throughput run(s) of \(plan.throughputTasks) tasks, window \(plan.window)"))
        let measured = try withProcesses { processes in
            try CLoadGenerator(executable: processes.floorExecutable).measure(
                exchange, at: endpoint, plan: plan, latencyOnly: latencyOnly, cpuOf: broker, in: processes,
                samplesFile: logDirectory.appendingPathComponent("round-trips.bin")
            )
        }
        result.latency = measured.latency
        if !latencyOnly { result.throughput = ThroughputSummary(tasks: plan.throughputTasks, window: plan.window, runs: measured.throughputRuns) }
        result.brokerCPUPerTask = measured.cpuSeconds.map { $0 * 1e6 / Double(plan.throughputRuns * plan.throughputTasks) }
        cases.append(result)
        return result
    }

    /// Records a case measured by a scenario's own driver.
    func record(_ result: CaseResult) {
        cases.append(result)
    }

    /// Records the resident memory of process `pid`.
    @discardableResult
    func recordMemory(_ key: String, label: String, pid: pid_t) throws -> MemoryFigure {
        let figure = MemoryFigure(key: key, label: label, resident: try ResidentMemory(of: pid))
        progress.say(label + String(format: ": %.1f MB resident (%.1f MB private)", figure.megabytes, Double(figure.resident.anonymousBytes) / 1e6))
        memory.append(figure)
        return figure
    }

    /// Records a journal recovery time.
    func recordRecovery(_ figure: RecoveryFigure) {
        progress.say(figure.label + String(format: ": %.2f s", figure.seconds))
        recoveries.append(figure)
    }

    /// Adds a sentence to the report's notes (what a figure is, what was substituted).
    func note(_ text: String) {
        if !notes.contains(text) { notes.append(text) }
    }
}
