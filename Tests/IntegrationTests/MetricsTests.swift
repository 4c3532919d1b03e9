import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Mahavishnu
import Testing

/// The broker's `/metrics` as a monitoring system uses it: a real Prometheus server (Debian's
/// `prometheus`, which `scripts/install-deps.sh` installs) scrapes it, and `promtool` checks it.
@Suite("Prometheus metrics", .serialized)
struct MetricsTests {
    static let prometheus = URL(fileURLWithPath: "/usr/bin/prometheus")
    static let promtool = URL(fileURLWithPath: "/usr/bin/promtool")

    @Test("a real Prometheus server scrapes the broker and a query returns the completed-task counter after tasks ran; promtool check metrics finds no problem")
    func prometheusScrapes() async throws {
        try await Deployment.with(pools: [("metered", 2)]) { deployment in
            let results = try await deployment.submit(count: 25, window: 5, selector: nil)
            #expect(results.allSatisfy { $0.status == .completed })

            let exposition = try await httpGet("http://\(deployment.http)/metrics")
            let file = try temporaryFile("metrics", suffix: ".txt", exposition)
            let check = try await runCommand(URL(fileURLWithPath: "/bin/sh"), ["-c", "\(Self.promtool.path) check metrics < \(file)"])
            #expect(check.status == 0 && check.stdout.isEmpty && check.stderr.isEmpty, "promtool: \(check.stdout)\(check.stderr)")
            for family in ["mahavishnu_tasks_accepted_total", "mahavishnu_task_run_seconds_bucket", "mahavishnu_task_queue_wait_seconds_count",
                           "mahavishnu_pool_up{pool=\"metered\"}", "mahavishnu_queue_depth{priority=\"5\"}", "mahavishnu_build_info",
                           "mahavishnu_journal_write_seconds_count", "mahavishnu_bus_messages_forwarded_total"] {
                #expect(exposition.contains(family), "\(family) is exported")
            }

            let web = "127.0.0.1:\(try freeTCPPort())"
            let storage = temporaryPath("prometheus-data")
            defer { try? FileManager.default.removeItem(atPath: storage) }
            let config = try temporaryFile("prometheus", suffix: ".yml", """
                global: {scrape_interval: 1s, evaluation_interval: 1s}
                scrape_configs:
                  - job_name: mahavishnu
                    static_configs: [{targets: ["\(deployment.http)"]}]
                """)
            let server = try ManagedProcess(name: "prometheus", executable: Self.prometheus, arguments: [
                "--config.file=\(config)", "--storage.tsdb.path=\(storage)", "--web.listen-address=\(web)",
            ])
            do {
                let query = "sum(mahavishnu_tasks_finished_total{pool=\"metered\",status=\"completed\"})"
                try await waitUntil("Prometheus to have scraped 25 completed tasks", timeout: .seconds(60)) {
                    (try? await Self.instantValue(of: query, at: web)) == 25
                }
                #expect(try await Self.instantValue(of: "up{job=\"mahavishnu\"}", at: web) == 1)
            } catch {
                await server.stop()
                throw error
            }
            await server.stop()
        }
    }

    /// The value of an instant query's single sample, through Prometheus's HTTP API; `nil` while it has none.
    static func instantValue(of query: String, at web: String) async throws -> Double? {
        var components = URLComponents(string: "http://\(web)/api/v1/query")!
        components.queryItems = [URLQueryItem(name: "query", value: query)]
        let answer = try JSONSerialization.jsonObject(with: Data(try await httpGet(components.url!.absoluteString).utf8)) as? [String: Any]
        guard let data = answer?["data"] as? [String: Any], let result = data["result"] as? [[String: Any]],
              let value = result.first?["value"] as? [Any], let text = value.last as? String else { return nil }
        return Double(text)
    }
}

/// The body of a `GET`, failing on any status but 200.
func httpGet(_ url: String) async throws -> String {
    let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
    let status = (response as? HTTPURLResponse)?.statusCode ?? 0
    guard status == 200 else { throw TestFailure("GET \(url) answered \(status): \(String(decoding: data, as: UTF8.self))") }
    return String(decoding: data, as: UTF8.self)
}

/// A TCP port on loopback that was free a moment ago (the OS's choice for port 0).
func freeTCPPort(_ wanted: UInt16 = 0) throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = wanted.bigEndian
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw TestFailure("bind: \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}
