import ArgumentParser
import Foundation

/// `mahavishnu-bench`: measures what routing costs next to plain ZeroMQ, in one run.
///
/// The user runs `BenchRun` (the default). The hidden `_…` subcommands are this same binary
/// re-executed as the baselines' processes and the fake pools; the broker is `mahavishnu broker`
/// and pool processes are `mahavishnu-pool`, which building the bench builds into the same directory.
@main
struct MahavishnuBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mahavishnu-bench",
        abstract: "Benchmark the Mahavishnu broker against plain ZeroMQ baselines measured in the same run.",
        usage: "mahavishnu-bench [<scenario> ...] [--quick] [--out <dir>]",
        discussion: """
            Scenarios: echo, proxy, route, scale, health, memory, journal, and compare with --baseline DIR \
            (default: all). Writes bench.txt, \
            bench.json and bench.svg to --out (default bench-results). `mahavishnu-bench run --help` \
            describes every option.
            """,
        subcommands: [BenchRun.self, EchoServerRole.self, ZMQProxyRole.self, FakePoolsRole.self],
        defaultSubcommand: BenchRun.self
    )
}

/// Runs `body` on a thread of its own and waits for it: socket loops never run on Swift's
/// cooperative pool.
func onDedicatedThread(named name: String, _ body: @escaping @Sendable () throws -> Void) async throws {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
    }
}
