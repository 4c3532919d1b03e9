import Foundation

/// The run's plot as SVG: latency by percentile for every case, and throughput against the
/// number of registered pools with the baselines as reference lines.
struct ResultPlot {
    let report: BenchReport

    private static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"]
    /// Percentile axis: x = log10(100 / (100 − p)), so 90%, 99%, 99.9% are evenly spaced; 100% (max) sits at the end.
    private static let percentileTicks: [(label: String, x: Double)] = [("0%", 0), ("90%", 1), ("99%", 2), ("99.9%", 3), ("99.99%/max", 4)]

    func rendered() -> String {
        var svg = SVGDocument(width: 1_120, height: 980)
        svg.text("Mahavishnu bench (\(report.plan.mode)): \(report.machine.summary)", at: (20, 28), size: 14, bold: true)
        drawLatency(into: &svg, frame: Frame(left: 80, top: 70, width: 600, height: 380))
        drawThroughput(into: &svg, frame: Frame(left: 80, top: 560, width: 600, height: 340))
        return svg.rendered()
    }

    /// A plot area in pixels.
    private struct Frame {
        let left, top, width, height: Double
        var bottom: Double { top + height }
        var right: Double { left + width }
        func x(_ fraction: Double) -> Double { left + fraction * width }
        func y(_ fraction: Double) -> Double { bottom - fraction * height }
    }

    // MARK: Latency

    private func drawLatency(into svg: inout SVGDocument, frame: Frame) {
        let series = report.cases.compactMap { result in result.latency.map { (result, $0) } }
        svg.text("Round-trip latency by percentile (sequential, after warm-up; log scale)", at: (frame.left, frame.top - 16), size: 13, bold: true)
        svg.rectangle(origin: (frame.left, frame.top), size: (frame.width, frame.height), .init(color: "#999"))
        guard !series.isEmpty else { return }
        let values = series.flatMap { $0.1.distribution.map(\.microseconds) }.filter { $0 > 0 }
        let low = floor(log10(values.min() ?? 1)), high = max(low + 1, ceil(log10(values.max() ?? 10)))
        let yFraction = { (microseconds: Double) in (log10(max(microseconds, pow(10, low))) - low) / (high - low) }
        for tick in Self.percentileTicks {
            let x = frame.x(tick.x / 4)
            svg.line(from: (x, frame.top), to: (x, frame.bottom), .init(color: "#e4e4e4"))
            svg.text(tick.label, at: (x, frame.bottom + 18), size: 11, anchor: "middle")
        }
        for decade in stride(from: low, through: high, by: 1) {
            for step in [1.0, 2, 5] where decade + log10(step) <= high {
                let value = step * pow(10, decade), y = frame.y(yFraction(value))
                svg.line(from: (frame.left, y), to: (frame.right, y), .init(color: step == 1 ? "#d0d0d0" : "#eeeeee"))
                svg.text(Self.duration(microseconds: value), at: (frame.left - 6, y + 4), size: 11, anchor: "end")
            }
        }
        svg.text("percentile", at: (frame.x(0.5), frame.bottom + 38), size: 12, anchor: "middle")
        for (index, (result, latency)) in series.enumerated() {
            let stroke = style(of: result, index: index)
            let points = latency.distribution.map { point in
                (frame.x(min(4, log10(100 / max(100 - point.percentile, 0.01))) / 4), frame.y(yFraction(point.microseconds)))
            }
            svg.polyline(points, stroke)
            let legendY = frame.top + 8 + Double(index) * 20
            svg.line(from: (frame.right + 20, legendY), to: (frame.right + 50, legendY), stroke)
            svg.text("\(result.label)  p50 \(Self.duration(microseconds: latency.p50.rounded()))", at: (frame.right + 58, legendY + 4), size: 11)
        }
    }

    /// Baselines black and grey, route solid, scale dashed, health dotted.
    private func style(of result: CaseResult, index: Int) -> SVGDocument.Stroke {
        let color = Self.palette[index % Self.palette.count]
        switch result.scenario {
        case .echo: return .init(color: "#000", width: 2.5)
        case .proxy: return .init(color: "#777", width: 2.5)
        case .cbroker: return .init(color: "#b00", width: 2.5)
        case .route, .journal, .compare, .lifecycle, .observe: return .init(color: color, width: 1.8)
        case .scale: return .init(color: color, width: 1.8, dash: "7 4")
        case .health, .memory: return .init(color: color, width: 1.8, dash: "2 3")
        }
    }

    // MARK: Throughput

    private func drawThroughput(into svg: inout SVGDocument, frame: Frame) {
        svg.text("Throughput against registered pools (window \(report.plan.window); median of \(report.plan.throughputRuns) run(s))", at: (frame.left, frame.top - 16), size: 13, bold: true)
        svg.rectangle(origin: (frame.left, frame.top), size: (frame.width, frame.height), .init(color: "#999"))
        let measured = report.cases.filter { $0.throughput != nil }
        guard let top = measured.compactMap({ $0.throughput?.median }).max() else { return }
        let yMax = Self.roundedUp(top * 1.1)
        let (xLow, xHigh) = (log10(0.7), log10(1_500.0))
        let xPosition = { (pools: Double) in frame.x((log10(pools) - xLow) / (xHigh - xLow)) }
        let yPosition = { (rate: Double) in frame.y(rate / yMax) }
        for pools in [1.0, 2, 10, 100, 1_000] {
            let x = xPosition(pools)
            svg.line(from: (x, frame.top), to: (x, frame.bottom), .init(color: "#e4e4e4"))
            svg.text(String(Int(pools)), at: (x, frame.bottom + 18), size: 11, anchor: "middle")
        }
        for step in 0...5 {
            let rate = yMax * Double(step) / 5, y = yPosition(rate)
            svg.line(from: (frame.left, y), to: (frame.right, y), .init(color: "#eeeeee"))
            svg.text(String(format: "%.0fk", rate / 1_000), at: (frame.left - 6, y + 4), size: 11, anchor: "end")
        }
        svg.text("registered pools (log scale)", at: (frame.x(0.5), frame.bottom + 38), size: 12, anchor: "middle")
        svg.text("tasks/s", at: (frame.left - 6, frame.top - 14), size: 11, anchor: "end")

        var legend: [(String, SVGDocument.Stroke)] = []
        for (key, stroke) in [("echo", SVGDocument.Stroke(color: "#000", width: 1.5, dash: "2 3")), ("proxy", .init(color: "#777", width: 2, dash: "8 4"))] {
            guard let result = measured.first(where: { $0.key == key }), let rate = result.throughput?.median else { continue }
            svg.line(from: (frame.left, yPosition(rate)), to: (frame.right, yPosition(rate)), stroke)
            legend.append(("\(result.label): \(Self.rate(rate))", stroke))
        }
        let scale = measured.filter { $0.scenario == .scale }.sorted { ($0.pools ?? 0) < ($1.pools ?? 0) }
        let series = scale.filter { ($0.slots ?? 0) < 10_000 }
        if !series.isEmpty {
            let color = Self.palette[0]
            svg.polyline(series.map { (xPosition(Double($0.pools ?? 1)), yPosition($0.throughput!.median)) }, .init(color: color, width: 2))
            for result in series {
                let point = (xPosition(Double(result.pools ?? 1)), yPosition(result.throughput!.median))
                svg.circle(at: point, radius: 4, fill: color)
                svg.text("\(result.pools ?? 0)×\((result.slots ?? 0) / max(1, result.pools ?? 1))", at: (point.0 + 6, point.1 - 8), size: 10)
            }
            legend.append(("route via fake pools (pools × slots each), least_loaded", .init(color: color, width: 2)))
        }
        for result in scale where (result.slots ?? 0) >= 10_000 {
            let point = (xPosition(Double(result.pools ?? 1)), yPosition(result.throughput!.median))
            svg.square(at: point, side: 9, fill: Self.palette[3])
            svg.text("\(result.pools ?? 0)×\((result.slots ?? 0) / max(1, result.pools ?? 1)) (10,000 workers)", at: (point.0 + 8, point.1 + 16), size: 10)
            legend.append(("\(result.label): \(Self.rate(result.throughput!.median))", .init(color: Self.palette[3], width: 6)))
        }
        let routes = measured.filter { $0.scenario == .route }
        for (index, result) in routes.enumerated() {
            let color = Self.palette[(index + 4) % Self.palette.count]
            svg.circle(at: (xPosition(Double(result.pools ?? 1)), yPosition(result.throughput!.median)), radius: 4.5, fill: color)
            legend.append(("\(result.label) (real pool processes): \(Self.rate(result.throughput!.median))", .init(color: color, width: 6)))
        }
        for (index, entry) in legend.enumerated() {
            let y = frame.top + 8 + Double(index) * 20
            svg.line(from: (frame.right + 20, y), to: (frame.right + 50, y), entry.1)
            svg.text(entry.0, at: (frame.right + 58, y + 4), size: 11)
        }
    }

    // MARK: Formatting

    private static func duration(microseconds: Double) -> String {
        microseconds >= 1_000 ? String(format: "%g ms", microseconds / 1_000) : String(format: "%g µs", microseconds)
    }

    private static func rate(_ tasksPerSecond: Double) -> String {
        String(format: "%.1fk tasks/s", tasksPerSecond / 1_000)
    }

    /// The smallest 1, 2 or 5 × 10ⁿ at or above `value`.
    private static func roundedUp(_ value: Double) -> Double {
        let decade = pow(10, floor(log10(max(value, 1))))
        return [1.0, 2, 5, 10].map { $0 * decade }.first { $0 >= value } ?? value
    }
}
