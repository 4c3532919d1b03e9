import ArgumentParser
import Foundation
import Mahavishnu
import MahavishnuMemory
import MahavishnuCommandCore

/// `mahavishnu memory search`: ranked matches across every pool's stored results.
struct MemorySearch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Find stored task results whose prompt or output has every word of QUERY, best match first."
    )

    @Argument(help: "The words to find, e.g. \"API implementation\".")
    var query: String

    @Option(help: "Only results from this pool (name or id).")
    var pool: String?

    @Option(help: "Most matches to print.")
    var limit = 10

    @OptionGroup var memory: MemoryOptions

    func validate() throws {
        guard limit >= 1 else { throw ValidationError("--limit must be at least 1 (got \(limit))") }
    }

    func run() async throws {
        let matches: [MemoryMatch]
        do {
            matches = try await memory.store().search(query, pool: pool, limit: limit)
        } catch let error as MemoryStoreError {
            throw CLIError(error.description, code: "memory_unavailable")
        }
        if memory.json { return try Printer.json(["results": matches]) }
        guard !matches.isEmpty else { return print("no matches for '\(query)'\(pool.map { " in pool '\($0)'" } ?? "")") }
        Printer.table(
            ["POOL", "POOL ID", "TASK", "SCORE", "SNIPPET"],
            matches.map { [$0.poolName, $0.poolID, $0.taskID, String(format: "%.2f", $0.score), $0.snippet.replacingOccurrences(of: "\n", with: " ")] }
        )
    }
}

/// `mahavishnu memory stats`: stored results per pool, and what the store lacks.
struct MemoryStatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Count the stored task results per pool, and the results the store lacks, with why.")

    @OptionGroup var memory: MemoryOptions

    func run() async throws {
        let stats = try await memory.store().stats()
        if memory.json { return try Printer.json(stats) }
        print("records: \(stats.records)  duplicates ignored: \(stats.duplicatesIgnored)  events missed: \(stats.eventsMissed)  syncs: \(stats.syncs)")
        if !stats.pools.isEmpty {
            Printer.table(
                ["POOL", "POOL ID", "RECORDS", "LAST COMPLETED"],
                stats.pools.map { [$0.poolName, $0.poolID, "\($0.records)", Date(timeIntervalSince1970: $0.lastCompletedAt).formatted(.iso8601)] }
            )
        }
        guard !stats.missing.isEmpty else { return }
        print("missing (finished, not stored):")
        Printer.table(
            ["POOL", "POOL ID", "REASON", "MISSING", "TASK IDS"],
            stats.missing.map { [$0.poolName ?? "-", $0.poolID, $0.reason.rawValue, "\($0.count)", $0.taskIDs.isEmpty ? "unknown" : $0.taskIDs.joined(separator: ",")] }
        )
    }
}
