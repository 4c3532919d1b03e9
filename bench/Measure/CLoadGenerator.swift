import Foundation

/// The C load generator (`mahavishnu-cfloor load`): the producer behind every case the bench
/// measures, so that our broker, the C broker and the baselines are all driven by the same code
/// at the same window, and none of them pays for a producer slower than itself.
///
/// One run per case: `warmUp` untimed and `samples` timed round trips one at a time (written
/// to a file as nanoseconds, read into the same histogram as every latency figure), then
/// `runs` throughput runs of `tasks` requests with `window` in flight, one line each.
struct CLoadGenerator {
    /// `mahavishnu-cfloor`, beside this bench.
    let executable: String

    /// What one case measured; the CPU time `cpuOf` used over the throughput runs, if given.
    struct Measurement {
        var latency: LatencySummary
        var throughputRuns: [Double]
        var cpuSeconds: Double?
    }

    /// Drives `exchange` at `endpoint`, started and stopped in `processes`.
    func measure(
        _ exchange: Exchange, at endpoint: String, plan: BenchPlan, latencyOnly: Bool, cpuOf pid: pid_t?,
        in processes: ProcessSet, samplesFile: URL
    ) throws -> Measurement {
        let runs = latencyOnly ? 0 : plan.throughputRuns
        let text = { (frame: [UInt8]) in String(decoding: frame, as: UTF8.self) }
        let arguments = [
            "load", endpoint, text(exchange.replyCommand), String(plan.warmUpRoundTrips), String(plan.latencySamples), samplesFile.path,
            String(plan.throughputTasks), String(runs), String(plan.window), "--head",
        ] + exchange.head.map(text) + exchange.tails.flatMap { ["--tail"] + $0.map(text) }
        let (generator, _) = try processes.start("c load generator", executable: executable, arguments, ready: "latency", within: .seconds(600))
        defer { generator.stop() }
        let cpuBefore = try pid.map(ProcessCPUTime.seconds)
        var throughputRuns: [Double] = []
        for _ in 0..<runs {
            let line = try generator.line(startingWith: "throughput ", within: .seconds(600))
            guard let rate = Double(line.dropFirst("throughput ".count)) else { throw BenchError("the load generator printed '\(line)'") }
            throughputRuns.append(rate)
        }
        var cpuSeconds: Double?
        if let pid, let cpuBefore, runs > 0 { cpuSeconds = try ProcessCPUTime.seconds(of: pid) - cpuBefore }
        return Measurement(latency: try Self.latency(from: samplesFile), throughputRuns: throughputRuns, cpuSeconds: cpuSeconds)
    }

    /// The round trips the generator wrote to `file`, one native-endian `UInt64` of nanoseconds each.
    private static func latency(from file: URL) throws -> LatencySummary {
        guard let data = FileManager.default.contents(atPath: file.path), !data.isEmpty, data.count % 8 == 0 else {
            throw BenchError("the load generator wrote no round-trip times to \(file.path)")
        }
        var recorder = LatencyRecorder()
        data.withUnsafeBytes { bytes in
            for index in 0..<(bytes.count / 8) { recorder.record(nanoseconds: bytes.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)) }
        }
        return recorder.summary()
    }
}
