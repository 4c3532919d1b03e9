import Foundation
import Testing

/// `mahavishnu mcp` driven over stdio by the official Python MCP client, against real brokers and pools.
@Suite("The MCP server", .serialized)
struct MCPServerTests {
    @Test("lists every tool of the guide, each with a JSON schema of descriptions, defaults and ranges")
    func toolsAndSchemas() async throws {
        try await Deployment.with(pools: [("a", 1)]) { deployment in
            try await runMCPScenario("tools", broker: deployment.frontend)
        }
    }

    @Test("spawns, routes, executes, scales, monitors, checks and closes pools; spawns, runs and closes workers")
    func poolAndWorkerTools() async throws {
        // An unknown pool is refused once a fresh broker's affinity_wait_seconds (1 s here) is over.
        let settings = fastFailureSettings.replacingOccurrences(of: "affinity_wait_seconds: 20", with: "affinity_wait_seconds: 1")
        try await Deployment.with(pools: [("a", 1)], settings: settings) { deployment in
            try await runMCPScenario("pools", broker: deployment.frontend)
            #expect(try await deployment.pools().isEmpty, "pool_close_all and worker_close_all left pools behind")
        }
    }

    @Test("a tool call with a progress token gets its task's partial outputs as progress notifications, in order, before the result")
    func progressNotifications() async throws {
        let settings = try streamerSettings(parts: 5)
        try await Deployment.with(pools: [], settings: settings) { deployment in
            try await deployment.startPool(name: "streamer", workers: 1, extraArguments: ["--worker-type", "streamer"])
            try await runMCPScenario("progress", broker: deployment.frontend)
        }
    }

    @Test("pool_search_memory finds a routed task's output in the broker's memory store")
    func searchMemory() async throws {
        let database = TestDatabase()
        defer { database.remove() }
        let settings = "memory_sync_interval: 0.2\nmemory_database_path: \(database.path)\n"
        try await Deployment.with(pools: [("a", 1)], settings: settings, memoryDatabase: database) { deployment in
            try await runMCPScenario("memory", broker: deployment.frontend, settings: try writeSettings(settings))
        }
    }

    @Test("an async dispatch reaches completed through workflow_result, across a restart of the MCP server, running its task once")
    func workflowsSurviveRestart() async throws {
        let runLog = temporaryPath("runs", suffix: ".log")
        try await Deployment.with(pools: [("fast", 1)], settings: fastFailureSettings + slowWorkerType(log: runLog, seconds: 3)) { deployment in
            try await deployment.startPool(name: "slow", workers: 1, extraArguments: ["--worker-type", "slow"])
            try await runMCPScenario("workflows", broker: deployment.frontend, arguments: ["--run-log", runLog])
        }
    }

    @Test("invalid arguments are tool errors naming the argument and what it allows, and start nothing")
    func invalidArguments() async throws {
        try await Deployment.with(pools: [("a", 1)]) { deployment in
            try await runMCPScenario("invalid", broker: deployment.frontend)
        }
    }

    @Test("a broker that is down is a tool error naming its endpoint within seconds")
    func brokerDown() async throws {
        let endpoint = try await Deployment.with(pools: []) { $0.frontend }
        try await runMCPScenario("broker-down", broker: endpoint, arguments: ["--dead-broker", endpoint])
    }

    @Test("with caller_quota limit 3, a caller's 4th call in the window is rate_limited; each call counts once")
    func rateLimit() async throws {
        let settings = "caller_quota: {enabled: true, limit: 3, window_seconds: 60}\n"
        try await Deployment.with(pools: [("a", 1)], settings: settings) { deployment in
            try await runMCPScenario("rate-limit", broker: deployment.frontend, settings: deployment.settings)
        }
    }
}
