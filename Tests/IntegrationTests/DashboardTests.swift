import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Mahavishnu
import Testing

/// The dashboard in a real headless browser (Debian's `chromium`, which `scripts/install-deps.sh`
/// installs), against a running deployment, and its actions' guard.
@Suite("Dashboard", .serialized)
struct DashboardTests {
    static let chromium = URL(fileURLWithPath: "/usr/bin/chromium")

    @Test("the page loads in headless Chromium, shows the live pools and updates its completed count after tasks run; a screenshot goes to the test output")
    func pageShowsTheDeployment() async throws {
        try await Deployment.with(pools: [("webpool", 2), ("second", 1)]) { deployment in
            let page = "http://\(deployment.http)/"
            // The broker publishes what the page reads once per heartbeat interval.
            try await waitUntil("the overview to list both pools") { try await Self.apiArray(deployment, "/api/overview", "pools").count == 2 }
            let before = try await Self.renderedDOM(page)
            #expect(before.contains(#"data-pool="webpool""#) && before.contains(#"data-pool="second""#), "both live pools are listed")
            #expect(Self.completedCount(in: before) == 0)

            let results = try await deployment.submit(count: 12, window: 4, selector: nil)
            #expect(results.allSatisfy { $0.status == .completed })
            try await waitUntil("the overview to count 12 completed tasks") {
                try await Self.apiArray(deployment, "/api/overview", "pools").compactMap { $0["tasks_completed"] as? Int }.reduce(0, +) == 12
            }
            let after = try await Self.renderedDOM(page)
            #expect(Self.completedCount(in: after) == 12, "the page shows the tasks that ran")
            #expect(after.contains("status-completed"), "recent tasks come from the memory store")
            // The memory store takes results within memory_sync_interval (1 s).
            try await waitUntil("the memory store to hold all 12") { try await Self.apiArray(deployment, "/api/tasks?limit=100", "tasks").count == 12 }
            let tasks = try await Self.apiArray(deployment, "/api/tasks?limit=100", "tasks")
            #expect(tasks.allSatisfy { $0["attempts"] as? Int == 1 && ($0["duration"] as? Double ?? -1) >= 0 }, "each with its one attempt: \(tasks.prefix(2))")

            let screenshot = repositoryRoot.appendingPathComponent(".build/test-output/dashboard.png")
            try FileManager.default.createDirectory(at: screenshot.deletingLastPathComponent(), withIntermediateDirectories: true)
            let shot = try await runCommand(Self.chromium, Self.headless + ["--window-size=1280,860", "--screenshot=\(screenshot.path)", page])
            #expect(shot.status == 0, "\(shot.stderr)")
            let png = try Data(contentsOf: screenshot)
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000, "a PNG of the page: \(screenshot.path)")
            Attachment.record(png, named: "dashboard.png")
        }
    }

    @Test("an action without the admin token, or with a wrong one, is refused 401 and changes nothing; with the token it scales the pool")
    func actionsNeedTheToken() async throws {
        try await Deployment.with(pools: [("guarded", 1)]) { deployment in
            let scale = "http://\(deployment.http)/api/pools/guarded/scale"
            for header in [nil, "Bearer not-the-token"] {
                let (status, body) = try await Self.post(scale, json: #"{"workers": 3}"#, authorization: header)
                #expect(status == 401 && body.contains(deployment.httpTokenFile), "\(status) \(body)")
            }
            #expect(try await deployment.pools()["guarded"]?.workers == 1, "nothing changed")
            let token = try String(contentsOfFile: deployment.httpTokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let attributes = try FileManager.default.attributesOfItem(atPath: deployment.httpTokenFile)
            #expect((attributes[.posixPermissions] as? Int) == 0o600, "only the broker's user reads the token")
            let (status, body) = try await Self.post(scale, json: #"{"workers": 3}"#, authorization: "Bearer \(token)")
            #expect(status == 200 && body.contains(#""workers":3"#), "\(status) \(body)")
            let (unknown, refusal) = try await Self.post("http://\(deployment.http)/api/pools/nosuch/close", json: "{}", authorization: "Bearer \(token)")
            #expect(unknown == 422 && refusal.contains("no_such_pool"), "\(unknown) \(refusal)")
        }
    }

    /// The array `key` of the JSON object at `path` on the deployment's HTTP listener.
    static func apiArray(_ deployment: Deployment, _ path: String, _ key: String) async throws -> [[String: Any]] {
        let object = try JSONSerialization.jsonObject(with: Data(try await httpGet("http://\(deployment.http)\(path)").utf8)) as? [String: Any]
        return object?[key] as? [[String: Any]] ?? []
    }

    static let headless = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--virtual-time-budget=5000"]

    /// The page's DOM after its scripts ran for a while, as headless Chromium serialises it.
    static func renderedDOM(_ url: String) async throws -> String {
        let output = try await runCommand(chromium, headless + ["--dump-dom", url])
        guard output.status == 0 else { throw TestFailure("chromium --dump-dom \(url) exited \(output.status): \(output.stderr)") }
        return output.stdout
    }

    /// The number in the page's `completed` figure.
    static func completedCount(in dom: String) -> Int? {
        guard let range = dom.range(of: #"<b id="completed">"#), let end = dom[range.upperBound...].firstIndex(of: "<") else { return nil }
        return Int(dom[range.upperBound..<end])
    }

    static func post(_ url: String, json: String, authorization: String?) async throws -> (Int, String) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = "POST"
        request.httpBody = Data(json.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }
}
