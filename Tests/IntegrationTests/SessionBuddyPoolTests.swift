import Foundation
import Testing

/// `session-buddy` pools delegating to a second `mahavishnu mcp`, driven through the first one.
@Suite("session-buddy pools", .serialized)
struct SessionBuddyPoolTests {
    @Test("tasks on a delegated pool complete; killing its delegate makes it unhealthy, sends new tasks elsewhere and runs its task again once the delegate is back")
    func delegatedPool() async throws {
        // The delegate command runs the executable through a link the test removes to keep the
        // delegate down, and reads the broker's address from a file written once the broker is up.
        let link = temporaryPath("delegate-mahavishnu")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: mahavishnuExecutable.path)
        defer { try? FileManager.default.removeItem(atPath: link) }
        let delegateSettings = temporaryPath("delegate-settings", suffix: ".yaml")
        let settings = fastFailureSettings + slowWorkerType(log: temporaryPath("runs", suffix: ".log"), seconds: 3) + """
            delegates:
              buddy:
                command: ["\(link)", "mcp", "--settings", "\(delegateSettings)", "--workflow-database", "\(temporaryPath("delegate-workflows", suffix: ".sqlite"))"]

            """
        try await Deployment.with(pools: [("a", 2)], settings: settings) { deployment in
            try "broker_frontend: \(deployment.frontend)\n".write(toFile: delegateSettings, atomically: true, encoding: .utf8)
            try await runMCPScenario("session-buddy", broker: deployment.frontend, arguments: ["--delegate-link", link])
        }
    }

    @Test("a delegate over HTTP: tasks complete; when the service dies the pool is reported unhealthy and tasks go elsewhere")
    func httpDelegate() async throws {
        let service = try ManagedProcess(
            name: "http_worker_service.py", executable: URL(fileURLWithPath: "/usr/bin/env"),
            arguments: ["python3", repositoryRoot.appendingPathComponent("Tests/python/http_worker_service.py").path]
        )
        do {
            let url = try await service.line(startingWith: "listening").split(separator: " ")[1]
            let settings = fastFailureSettings + "delegates:\n  remote:\n    url: \(url)\n"
            try await Deployment.with(pools: [("a", 1)], settings: settings) { deployment in
                try await runMCPScenario("session-buddy-http", broker: deployment.frontend, arguments: ["--service-pid", "\(service.pid)"])
            }
        } catch {
            await service.stop()
            throw error
        }
        await service.stop()
    }

    @Test("mahavishnu-pool, without an MCP client, refuses a session-buddy pool and names the command that runs it")
    func leanPoolRefuses() async throws {
        let settings = try writeSettings("delegates:\n  buddy:\n    command: [\"true\"]\n")
        let output = try await runCommand(poolExecutable, ["--type", "session-buddy", "--settings", settings, "--broker", "tcp://127.0.0.1:9"])
        #expect(output.status != 0)
        #expect(output.stderr.contains("cannot run a session-buddy pool; run that pool with `mahavishnu pool run`"), "\(output.stderr)")
    }
}
