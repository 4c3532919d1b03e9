import ArgumentParser
import Foundation

/// The bench itself: runs the chosen scenarios, prints the table, writes JSON, text and SVG.
struct BenchRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run benchmark scenarios (all of them by default) and write the table, JSON and plot."
    )

    @Argument(help: "Scenarios to run: \(ScenarioName.allCases.map(\.rawValue).joined(separator: ", ")). Default: all.")
    var scenarios: [ScenarioName] = []

    @Flag(help: "Fewer samples and tasks: finishes in under two minutes (CI's smoke test).")
    var quick = false

    @Option(help: "Folder for bench.json, bench.txt, bench.svg and the child processes' logs.")
    var out = "bench-results"

    @Option(help: ArgumentHelp("Another checkout's release build folder (holding mahavishnu and mahavishnu-pool) for `compare` to measure this build against.", valueName: "dir"))
    var baseline: String?

    func validate() throws {
        if scenarios.contains(.compare) && baseline == nil {
            throw ValidationError("compare needs --baseline DIR: the release build folder of the checkout to compare with (for instance a worktree of main, built with `swift build -c release`)")
        }
    }

    func run() async throws {
        let chosen = scenarios.isEmpty ? ScenarioName.defaults(withBaseline: baseline != nil) : scenarios
        let selected = ScenarioName.allCases.filter(chosen.contains)
        let plan = quick ? BenchPlan.quick : BenchPlan.full
        let command = (["mahavishnu-bench"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        let output = URL(fileURLWithPath: out)
        let baseline = try baseline.map(MahavishnuBuild.baseline(in:))
        try await onDedicatedThread(named: "bench.producer") {
            try Self.run(selected, plan: plan, command: command, output: output, baseline: baseline)
        }
    }

    private static func run(_ selected: [ScenarioName], plan: BenchPlan, command: String, output: URL, baseline: MahavishnuBuild?) throws {
        let logs = output.appendingPathComponent("logs")
        try? FileManager.default.removeItem(at: logs)
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let progress = Progress()
        let startedAt = ISO8601DateFormatter().string(from: Date())
        let loadAtStart = LoadAverage.current()
        progress.say("mahavishnu-bench \(plan.mode): \(selected.map(\.rawValue).joined(separator: ", ")); child logs in \(logs.path)")
        let machine = Machine.current(logDirectory: logs)
        let session = try BenchSession(plan: plan, logDirectory: logs, progress: progress, baseline: baseline)
        for scenario in selected {
            switch scenario {
            case .echo: try session.runEcho()
            case .proxy: try session.runProxy()
            case .cbroker: try session.runCBroker()
            case .route: try session.runRoute()
            case .scale: try session.runScale()
            case .health: try session.runHealth()
            case .memory: try session.runMemory()
            case .journal: try session.runJournal()
            case .lifecycle: try session.runLifecycle()
            case .observe: try session.runObserve()
            case .compare: try session.runCompare()
            }
        }
        let report = BenchReport(
            command: command, machine: machine, plan: plan, scenarios: selected, startedAt: startedAt,
            seconds: progress.elapsedSeconds, loadAtStart: loadAtStart, loadAtEnd: LoadAverage.current(),
            cases: session.cases, memory: session.memory, recoveries: session.recoveries,
            targets: TargetEvaluator(cases: session.cases, memory: session.memory, recoveries: session.recoveries).checks(), notes: session.notes
        )
        let text = ReportText(report: report).rendered()
        print(text)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(report).write(to: output.appendingPathComponent("bench.json"))
        try Data(text.utf8).write(to: output.appendingPathComponent("bench.txt"))
        try Data(ResultPlot(report: report).rendered().utf8).write(to: output.appendingPathComponent("bench.svg"))
        progress.say("done in \(String(format: "%.0f", progress.elapsedSeconds)) s: \(output.path)/bench.{txt,json,svg}")
    }
}
