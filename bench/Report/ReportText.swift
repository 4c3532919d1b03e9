import Foundation

/// The run's figures as text: the results table, memory, and the targets with their ratios.
struct ReportText {
    let report: BenchReport

    func rendered() -> String {
        var sections = [
            "Mahavishnu bench (\(report.plan.mode)) on \(report.machine.summary)",
            "command: \(report.command)\n" + conditions(),
            resultsTable(),
            "slots: tasks the backends accept in flight at once (— = no limit: echo processes take every message); window: requests the producer keeps in flight",
        ]
        if !report.memory.isEmpty { sections.append(memoryTable()) }
        if !report.recoveries.isEmpty { sections.append(recoveryTable()) }
        sections.append(targetsTable())
        if report.plan.mode != BenchPlan.full.mode {
            sections.append("The targets are defined for the full run; a \(report.plan.mode) run's verdicts are a smoke test, not a result.")
        }
        if !report.notes.isEmpty { sections.append(report.notes.map { "note: \($0)" }.joined(separator: "\n")) }
        return sections.joined(separator: "\n\n") + "\n"
    }

    /// How long the run took and how busy the machine was: a loaded machine moves every figure.
    private func conditions() -> String {
        let load = { (averages: [Double]) in averages.map { String(format: "%.2f", $0) }.joined(separator: " ") }
        var line = String(format: "took %.0f s; load average (1/5/15 min) ", report.seconds) + "\(load(report.loadAtStart)) at start, \(load(report.loadAtEnd)) at end"
        if let busiest = (report.loadAtStart + report.loadAtEnd).max(), busiest > Double(report.machine.cores) {
            line += "\nwarning: the machine was busy with other work (load above \(report.machine.cores) cores): these figures are noisy"
        }
        return line
    }

    private func resultsTable() -> String {
        let proxy = report.cases.first { $0.key == "proxy" }, cBroker = report.cases.first { $0.key == "cbroker" }
        var table = TextTable(["case", "pools", "window", "slots", "p50 µs", "p90 µs", "p99 µs", "max µs", "tasks/s", "p50/proxy", "p99/proxy", "tput/proxy",
                               "p50/C", "p99/C", "tput/C", "broker CPU µs/task"])
        for result in report.cases {
            let latency = result.latency, throughput = result.throughput
            table.add([
                result.label, result.pools.map(String.init) ?? "—", throughput.map { String($0.window) } ?? "—",
                result.slots.map(String.init) ?? "—",
                figure(latency?.p50), figure(latency?.p90), figure(latency?.p99), figure(latency?.max),
                throughput.map { String(format: "%.0f", $0.median) } ?? "—",
                ratio(latency?.p50, proxy?.latency?.p50), ratio(latency?.p99, proxy?.latency?.p99),
                ratio(throughput?.median, proxy?.throughput?.median),
                ratio(latency?.p50, cBroker?.latency?.p50), ratio(latency?.p99, cBroker?.latency?.p99), ratio(throughput?.median, cBroker?.throughput?.median),
                figure(result.brokerCPUPerTask),
            ])
        }
        return table.rendered()
    }

    private func memoryTable() -> String {
        var table = TextTable(["resident memory", "VmRSS MB", "private (RssAnon)", "mapped files (RssFile)", "peak (VmHWM)"])
        for figure in report.memory {
            let resident = figure.resident
            table.add([figure.label] + [resident.bytes, resident.anonymousBytes, resident.fileBytes, resident.peakBytes].map { String(format: "%.1f", Double($0) / 1e6) })
        }
        return table.rendered()
    }

    private func recoveryTable() -> String {
        var table = TextTable(["journal recovery", "tasks", "seconds"])
        for figure in report.recoveries { table.add([figure.label, String(figure.tasks), String(format: "%.2f", figure.seconds)]) }
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
