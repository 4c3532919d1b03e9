import Foundation

/// Runs one scenario of `Tests/python/mcp_scenarios.py`, which drives `mahavishnu mcp` over stdio
/// with the official Python MCP client, and fails with the script's stderr unless it passes.
///
/// - Parameter settings: a settings file for the MCP server (`--settings`).
func runMCPScenario(_ scenario: String, broker: String, settings: String? = nil, arguments: [String] = [], within timeout: Duration = .seconds(240)) async throws {
    let script = repositoryRoot.appendingPathComponent("Tests/python/mcp_scenarios.py").path
    let process = try ManagedProcess(
        name: "mcp_scenarios.py \(scenario)", executable: URL(fileURLWithPath: "/usr/bin/env"),
        arguments: ["python3", script, scenario, "--mahavishnu", mahavishnuExecutable.path, "--broker", broker,
                    "--workflow-db", temporaryPath("workflows", suffix: ".sqlite")]
            + (settings.map { ["--settings", $0] } ?? []) + arguments
    )
    let status: Int32
    do {
        status = try await process.exitStatus(within: timeout)
    } catch {
        await process.stop()
        throw error
    }
    guard status == 0, process.stdoutLines.contains("ok \(scenario)") else {
        throw TestFailure("MCP scenario '\(scenario)' failed (exit status \(status)): \(process.stderrTail)")
    }
}

/// A worker type whose program appends its prompt to `log`, waits `seconds`, then prints the prompt:
/// a task slow enough to still be running when a test restarts or kills something.
func slowWorkerType(log: String, seconds: Int) -> String {
    """
    worker_types:
      slow:
        executor: exec
        command: ["python3", "-c", "import sys, time; open(sys.argv[2], 'a').write(sys.argv[1] + '\\\\n'); time.sleep(\(seconds)); print(sys.argv[1])", "{prompt}", "\(log)"]

    """
}
