import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `observe`: what watching the broker costs. `route least_loaded` through one fleet, in rounds
/// of two cases: nobody watching, and a watcher that scrapes `/metrics` every second (as
/// Prometheus would, at a far shorter interval than its default) while a dashboard polls
/// `/api/overview` every two seconds and `/api/tasks` every five. The order alternates (quiet
/// first, then watched first), so a machine that slows or speeds up during the run weighs on
/// both alike; each round gives a ratio, and the report takes their median.
extension BenchSession {
    func runObserve() throws {
        try withRouteFleet(memoryDatabase: nil) { broker, _, fleet in
            guard let http = broker.http else { throw BenchError("the broker printed no http= endpoint") }
            let slots = plan.backends * plan.workersPerPool
            for round in 1...plan.observeRounds {
                for watched in round % 2 == 1 ? [false, true] : [true, false] {
                    let watcher = watched ? HTTPWatcher(http: http) : nil
                    try measure(
                        "observe/\(watched ? "watched" : "quiet")/\(round)", scenario: .observe,
                        label: "route least_loaded, \(watched ? "scraped and dashboard open" : "nobody watching"), round \(round)",
                        setup: watched ? "\(fleet); GET /metrics every 1 s, /api/overview every 2 s, /api/tasks every 5 s" : fleet,
                        pools: plan.backends, slots: slots, exchange: .task(selector: .leastLoaded), endpoint: broker.frontend, cpuOf: broker.process.pid
                    )
                    guard let requests = watcher?.stop() else { continue }
                    guard requests.failed == 0, requests.succeeded > 0 else {
                        throw BenchError("the watcher's requests: \(requests.succeeded) answered, \(requests.failed) failed; the first failure: \(requests.firstFailure ?? "none")")
                    }
                }
            }
        }
    }
}

/// Polls the broker's HTTP listener, as Prometheus and an open dashboard would, until stopped.
private final class HTTPWatcher: Sendable {
    /// What the watcher's requests came to.
    struct Counts {
        var succeeded = 0
        var failed = 0
        /// The path and the status or error of the first request that failed.
        var firstFailure: String?
    }

    private let watching: Task<Counts, Never>
    private let finished = DispatchSemaphore(value: 0)
    private let outcome = WatchOutcome()

    init(http: String) {
        let schedule: [(path: String, every: Duration)] = [("/metrics", .seconds(1)), ("/api/overview", .seconds(2)), ("/api/tasks?limit=50", .seconds(5))]
        watching = Task {
            let session = URLSession(configuration: .ephemeral)
            var due = schedule.map { _ in ContinuousClock.now }
            var counts = Counts()
            while !Task.isCancelled {
                for (index, entry) in schedule.enumerated() where ContinuousClock.now >= due[index] {
                    do {
                        let response = try await session.data(from: URL(string: "http://\(http)\(entry.path)")!).1
                        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                        if status == 200 { counts.succeeded += 1 } else { counts.noteFailure(entry.path, "HTTP \(status)") }
                    } catch {
                        // A request in flight when the watcher stops is cancelled, not failed.
                        if Task.isCancelled { break }
                        counts.noteFailure(entry.path, "\(error)")
                    }
                    due[index] = due[index] + entry.every
                }
                try? await Task.sleep(until: due.min()!, clock: .continuous)
            }
            return counts
        }
        let watching = self.watching, outcome = self.outcome, finished = self.finished
        Task {
            let counts = await watching.value
            outcome.counts = counts
            finished.signal()
        }
    }

    /// Stops polling; what the requests came to.
    func stop() -> Counts {
        watching.cancel()
        finished.wait()
        return outcome.counts
    }
}

extension HTTPWatcher.Counts {
    mutating func noteFailure(_ path: String, _ why: String) {
        failed += 1
        if firstFailure == nil { firstFailure = "GET \(path): \(why)" }
    }
}

/// The watcher's counts: written before `finished` is signalled, read after it is waited for.
private final class WatchOutcome: @unchecked Sendable {
    var counts = HTTPWatcher.Counts()
}
