import Foundation
import Mahavishnu
import Testing

/// `journal_retention_seconds`: a finished task's result answers `task` queries and retries for
/// that long, and not after.
@Suite("Results kept for the journal's retention")
struct JournalRetentionTests {
    @Test("a result is found by id within the retention; past it the id is unknown and a resend runs the task again")
    func resultsExpire() async throws {
        let settings = fastFailureSettings + "journal_mode: crash\njournal_retention_seconds: 1\n"
        try await Deployment.with(pools: [("a", 1)], settings: settings) { deployment in
            let result = try await deployment.client.submit(TaskRequest(prompt: "kept a while"), taskID: "retained", timeout: .seconds(30))
            #expect(result.status == .completed)
            let kept = try await deployment.client.task("retained")
            #expect(kept.state == .completed && kept.result?.output == "kept a while")
            #expect(try await deployment.stats().resultCacheEntries == 1)

            try await waitUntil("the result is past its retention", timeout: .seconds(15)) {
                try await deployment.client.task("retained").state == .unknown
            }
            #expect(try await deployment.stats().resultCacheEntries == 0)
            // The id is free again: sent once more, the task runs again instead of being answered from the cache.
            let again = try await deployment.client.submit(TaskRequest(prompt: "ran again"), taskID: "retained", timeout: .seconds(30))
            #expect(again.output == "ran again")
            #expect(try await deployment.stats().resultsFromCache == 0)
        }
    }
}
