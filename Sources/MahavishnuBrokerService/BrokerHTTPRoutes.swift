import MahavishnuBroker
import MahavishnuHTTP

/// What the broker's HTTP listener serves: `GET /metrics`, the Prometheus text format.
enum BrokerHTTPRoutes {
    static let metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

    static func answer(_ request: HTTPRequest, metrics: BrokerMetrics) -> HTTPResponse {
        switch (request.method, request.path) {
        case (.GET, "/metrics"), (.HEAD, "/metrics"):
            HTTPResponse(contentType: metricsContentType, body: metrics.exposition())
        case (_, "/metrics"):
            HTTPResponse(.methodNotAllowed, text: "/metrics answers GET only\n")
        default:
            HTTPResponse(.notFound, text: "no such page '\(request.path)'; this listener serves GET /metrics\n")
        }
    }
}
