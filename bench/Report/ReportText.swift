import Foundation

/// The run's figures as text: the results table, memory, and the targets with their ratios.
struct ReportText {
    let report: BenchReport

    func rendered() -> String {
        var sections = [
            "Mahavishnu bench (\(report.plan.mode)) on \(report.machine.summary)",
            "command: \(report.command)",
            resultsTable(),
            "slots: tasks the backends accept in flight at once (— = no limit: echo processes take every message); window: requests the producer keeps in flight",
        ]
        if !report.memory.isEmpty { sections.append(memoryTable()) }
        sections.append(targetsTable())
        if !report.notes.isEmpty { sections.append(report.notes.map { "note: \($0)" }.joined(separator: "\n")) }
        return sections.joined(separator: "\n\n") + "\n"
    }

    private func resultsTable() -> String {
        let proxy = report.cases.first { $0.key == "proxy" }
        var table = TextTable(["case", "pools", "window", "slots", "p50 µs", "p90 µs", "p99 µs", "max µs", "tasks/s", "p50/proxy", "p99/proxy", "tput/proxy"])
        for result in report.cases {
            let latency = result.latency, throughput = result.throughput
            table.add([
                result.label, result.pools.map(String.init) ?? "—", throughput.map { String($0.window) } ?? "—",
                result.slots.map(String.init) ?? "—",
                figure(latency?.p50), figure(latency?.p90), figure(latency?.p99), figure(latency?.max),
                throughput.map { String(format: "%.0f", $0.median) } ?? "—",
                ratio(latency?.p50, proxy?.latency?.p50), ratio(latency?.p99, proxy?.latency?.p99),
                ratio(throughput?.median, proxy?.throughput?.median),
            ])
        }
        return table.rendered()
    }

    private func memoryTable() -> String {
        var table = TextTable(["resident memory (VmRSS)", "MB"])
        for figure in report.memory { table.add([figure.label, String(format: "%.1f", figure.megabytes)]) }
        return table.rendered()
    }

    private func targetsTable() -> String {
        var table = TextTable(["target", "measured", "verdict", "from"])
        for check in report.targets {
            let measured = check.measured.map { String(format: check.unit == "×" ? "%.2f" : "%.1f ", $0) + check.unit } ?? "—"
            let verdict = check.met.map { $0 ? "met" : "MISSED" } ?? "—"
            table.add([check.name, measured, verdict, check.detail])
        }
        return table.rendered()
    }

    private func figure(_ value: Double?) -> String {
        value.map { String(format: $0 < 100 ? "%.1f" : "%.0f", $0) } ?? "—"
    }

    private func ratio(_ value: Double?, _ baseline: Double?) -> String {
        guard let value, let baseline, baseline > 0 else { return "—" }
        return String(format: "%.2f", value / baseline)
    }
}
