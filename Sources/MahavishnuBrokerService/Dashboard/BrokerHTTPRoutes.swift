import Foundation
import MahavishnuBroker
import MahavishnuClient
import MahavishnuCore
import MahavishnuHTTP
import MahavishnuMemory

/// What the broker's HTTP listener serves (docs/observability.md):
///
/// - `GET /metrics`: the Prometheus text format;
/// - `GET /`: the dashboard, one page that polls the JSON API below;
/// - `GET /api/overview`: health, pools, counters and the last 15 minutes (`BrokerOverview`);
/// - `GET /api/tasks?q=WORDS&limit=N`: recent results from the memory store, newest first;
/// - `POST /api/pools/NAME/scale` (`{"workers": N}`), `POST /api/pools/NAME/close` and
///   `POST /api/tasks/ID/cancel`: actions, with the admin token (`AdminToken`) only.
///
/// Reading never touches the router loop: it copies what the loop last published. Actions go to
/// the broker's frontend as an admin's `CTRL` would.
final class BrokerHTTPRoutes: Sendable {
    static let metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

    private let metrics: BrokerMetrics
    private let token: AdminToken
    private let client: BrokerClient
    private let memoryDatabase: String?

    init(metrics: BrokerMetrics, token: AdminToken, client: BrokerClient, memoryDatabase: String?) {
        self.metrics = metrics
        self.token = token
        self.client = client
        self.memoryDatabase = memoryDatabase
    }

    func close() { client.close() }

    var tokenFile: String { token.file }

    func answer(_ request: HTTPRequest) async -> HTTPResponse {
        switch (request.method, request.path) {
        case (.GET, "/metrics"), (.HEAD, "/metrics"):
            return HTTPResponse(contentType: Self.metricsContentType, body: metrics.exposition())
        case (.GET, "/"), (.GET, "/index.html"):
            return HTTPResponse(contentType: "text/html; charset=utf-8", body: Array(DashboardPage.html.utf8))
        case (.GET, "/api/overview"):
            return Self.json(metrics.overview.withLock { $0 })
        case (.GET, "/api/tasks"):
            return await recentTasks(request)
        case (.POST, let path) where path.hasPrefix("/api/"):
            guard token.admits(request) else {
                return Self.failure(.unauthorized, "unauthorized", "actions need the admin token as 'Authorization: Bearer TOKEN'; it is in \(token.file) on the broker's machine")
            }
            return await act(on: path.split(separator: "/").dropFirst().map { String($0).removingPercentEncoding ?? String($0) }, body: request.body)
        case (_, "/metrics"), (_, "/"), (_, "/api/overview"), (_, "/api/tasks"):
            return Self.failure(.methodNotAllowed, "method_not_allowed", "\(request.path) answers GET only")
        default:
            return Self.failure(.notFound, "not_found", "no such page '\(request.path)'; see / for the dashboard and /metrics for Prometheus")
        }
    }

    private func recentTasks(_ request: HTTPRequest) async -> HTTPResponse {
        guard let memoryDatabase else { return Self.json(RecentTasks(memory: "off", tasks: [])) }
        let limit = request.queryValue("limit").flatMap(Int.init) ?? 50
        guard (1...500).contains(limit) else { return Self.failure(.badRequest, "invalid_argument", "limit must be 1 to 500; got \(request.queryValue("limit") ?? "")") }
        let query = request.queryValue("q").flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
        do {
            guard FileManager.default.fileExists(atPath: memoryDatabase) else { return Self.json(RecentTasks(memory: "empty", tasks: [])) }
            let store = try MemoryStore(path: memoryDatabase, create: false)
            return Self.json(RecentTasks(memory: "on", tasks: await withAttempts(try await store.recent(matching: query, limit: limit))))
        } catch MemoryStoreError.emptyQuery(let text) {
            return Self.failure(.badRequest, "invalid_argument", "the search '\(text)' has no words to look for")
        } catch {
            return Self.failure(.internalServerError, "memory_unavailable", "cannot read the memory store \(memoryDatabase): \(error)")
        }
    }

    /// `tasks` with the attempts the broker counted for each, while its recent results still
    /// hold it (the memory store does not: pools do not know it).
    private func withAttempts(_ tasks: [RecentTask]) async -> [DashboardTask] {
        let client = self.client
        let attempts = await withTaskGroup(of: (String, Int?).self) { group in
            for task in tasks {
                group.addTask { (task.taskID, try? await client.task(task.taskID, timeout: .seconds(2)).attempts) }
            }
            return await group.reduce(into: [String: Int]()) { $0[$1.0] = $1.1 }
        }
        return tasks.map { DashboardTask(task: $0, attempts: attempts[$0.taskID].flatMap { $0 > 0 ? $0 : nil }) }
    }

    /// `["pools", NAME, "scale" | "close"]` or `["tasks", ID, "cancel"]`.
    private func act(on path: [String], body: [UInt8]) async -> HTTPResponse {
        do {
            switch (path.count == 3 ? path[0] : "", path.count == 3 ? path[2] : "") {
            case ("pools", "scale"):
                guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any], let workers = object["workers"] as? Int else {
                    return Self.failure(.badRequest, "invalid_argument", "scale takes a JSON body {\"workers\": N}")
                }
                let request = try JSONCoding.encode(ScaleRequest(pool: path[1], targetWorkers: workers))
                return Self.json(try await client.control(.scale, arguments: request, as: PoolSummary.self))
            case ("pools", "close"):
                return Self.json(try await client.control(.close, arguments: try JSONCoding.encode(PoolReference(pool: path[1])), as: PoolIdentity.self, timeout: .seconds(60)))
            case ("tasks", "cancel"):
                return Self.json(try await client.cancel(path[1]))
            default:
                return Self.failure(.notFound, "not_found", "no such action; POST /api/pools/NAME/scale, /api/pools/NAME/close or /api/tasks/ID/cancel")
            }
        } catch let error as BrokerClientError {
            if case .refused(let code, let message) = error { return Self.failure(.unprocessableEntity, code, message) }
            return Self.failure(.badGateway, "broker_unavailable", error.description)
        } catch {
            return Self.failure(.internalServerError, "failed", "\(error)")
        }
    }

    private static func json(_ value: some Encodable) -> HTTPResponse {
        guard let body = try? JSONCoding.encode(value) else { return failure(.internalServerError, "failed", "cannot encode the answer") }
        return HTTPResponse(contentType: "application/json", body: body)
    }

    private static func failure(_ status: HTTPStatus, _ code: String, _ message: String) -> HTTPResponse {
        HTTPResponse(status, contentType: "application/json", body: (try? JSONCoding.encode(["error": code, "message": message])) ?? [])
    }
}

/// `GET /api/tasks`: whether the memory store is on, and the tasks found.
private struct RecentTasks: Encodable {
    let memory: String
    let tasks: [DashboardTask]
}

/// A recent task with its attempts (`nil` once the broker no longer holds its result).
private struct DashboardTask: Encodable {
    let task: RecentTask
    let attempts: Int?

    func encode(to encoder: any Encoder) throws {
        try task.encode(to: encoder)
        var container = encoder.container(keyedBy: AttemptsKey.self)
        try container.encodeIfPresent(attempts, forKey: .attempts)
    }

    private enum AttemptsKey: String, CodingKey { case attempts }
}
