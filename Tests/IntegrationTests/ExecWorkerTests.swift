import Foundation
import Mahavishnu
import Testing

/// `exec` workers: real pool processes running real programs for tasks sent through a real broker.
@Suite("exec workers", .serialized)
struct ExecWorkerTests {
    /// Runs `body` with a broker and one single-worker pool per `(name, definition YAML)`, all
    /// reading the same settings file; every process is stopped afterwards.
    func withPools<T: Sendable>(
        _ types: [(name: String, yaml: String)], environment: [String: String]? = nil,
        _ body: (Deployment) async throws -> T
    ) async throws -> T {
        let settings = try temporaryFile("settings", suffix: ".yaml", (["worker_types:"] + types.map { "  \($0.name): \($0.yaml)" }).joined(separator: "\n"))
        return try await Deployment.with(pools: []) { deployment in
            for type in types {
                try await deployment.startPool(name: type.name, workers: 1, extraArguments: ["--settings", settings, "--worker-type", type.name], environment: environment)
            }
            return try await body(deployment)
        }
    }

    func run(_ prompt: String, on pool: String, in deployment: Deployment) async throws -> TaskResult {
        try await deployment.client.submit(TaskRequest(prompt: prompt), selector: .affinity, affinity: pool, timeout: .seconds(60))
    }

    @Test("a prompt full of shell metacharacters reaches the program byte for byte, as one argument, and nothing else runs")
    func shellMetacharacters() async throws {
        let marker = temporaryPath("marker")
        let prompt = """
            "; touch \(marker) #
            $(touch \(marker))
            `touch \(marker)`
            ' && touch \(marker); echo '
            | touch \(marker) & ; rm -rf ~ #
            ${HOME} * ~ \\ \t {prompt} %s 日本 ✓
            """
        try await withPools([
            ("printer", #"{executor: exec, command: [printf, "%s", "{prompt}"]}"#),
            ("framed", #"{executor: exec, command: [printf, "%s", "<{prompt}>"]}"#),
        ]) { deployment in
            let printed = try await run(prompt, on: "printer", in: deployment)
            #expect(printed.status == .completed, "\(printed.error ?? "")")
            #expect(Array(printed.output.utf8) == Array(prompt.utf8), "printf '%s' joins split arguments without their spaces, so equality also shows one argument")
            #expect(printed.exitCode == 0)
            let framed = try await run(prompt, on: "framed", in: deployment)
            #expect(framed.output == "<\(prompt)>")
        }
        #expect(!FileManager.default.fileExists(atPath: marker), "a shell ran part of the prompt")
    }

    @Test("stdin mode writes the prompt to the program's standard input; working directory and environment apply")
    func stdinWorkingDirectoryAndEnvironment() async throws {
        let directory = temporaryPath("workdir")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try await withPools([
            ("catter", "{executor: exec, command: [cat], prompt_via: stdin}"),
            ("placed", #"{executor: exec, command: [sh, -c, 'pwd; printf "%s" "$GREETING"'], prompt_via: stdin, working_directory: "\#(directory)", environment: {GREETING: hello there}}"#),
        ]) { deployment in
            let prompt = "line one\nline two with $(dollars) and \"quotes\"\n"
            let catted = try await run(prompt, on: "catter", in: deployment)
            #expect(catted.status == .completed)
            #expect(catted.output == prompt)
            let placed = try await run("ignored", on: "placed", in: deployment)
            #expect(placed.output == "\(directory)\nhello there")
        }
    }

    @Test("output past the cap is cut and flagged, never splitting a character; the program still runs to its end")
    func outputCap() async throws {
        try await withPools([
            ("counter", "{executor: exec, command: [seq, '1', '100000'], prompt_via: stdin, output_cap_bytes: 1000}"),
            ("accents", #"{executor: exec, command: [printf, "%s", "{prompt}"], output_cap_bytes: 5}"#),
        ]) { deployment in
            let counted = try await run("seq does not read this", on: "counter", in: deployment)
            #expect(counted.status == .completed)
            #expect(counted.exitCode == 0)
            #expect(counted.outputTruncated == true)
            #expect(counted.output == String((1...100_000).map { "\($0)\n" }.joined().prefix(1000)))
            #expect(counted.stderrTruncated == nil)
            let accents = try await run("ééé", on: "accents", in: deployment)
            #expect(accents.output == "éé", "5 bytes hold two 2-byte characters; the third, cut, is left out")
            #expect(accents.outputTruncated == true)
            let short = try await run("é", on: "accents", in: deployment)
            #expect(short.output == "é")
            #expect(short.outputTruncated == nil)
        }
    }

    @Test("a non-zero exit is failed, with the exit code, the output and the tail of stderr")
    func nonZeroExit() async throws {
        try await withPools([("failer", "{executor: exec, command: [sh, -c, 'echo partial; echo boom >&2; exit 3'], prompt_via: stdin}")]) { deployment in
            let result = try await run("x", on: "failer", in: deployment)
            #expect(result.status == .failed)
            #expect(result.exitCode == 3)
            #expect(result.output == "partial\n")
            #expect(result.stderr == "boom\n")
            #expect(result.error == "sh exited with status 3: boom")
        }
    }

    @Test("a missing program fails at once with 'command not found', terminal-qwen included, and the worker keeps serving")
    func missingProgram() async throws {
        #expect(!FileManager.default.isExecutableFile(atPath: "/usr/bin/qwen") && !FileManager.default.isExecutableFile(atPath: "/bin/qwen"),
                "this test runs terminal-qwen with PATH=/usr/bin:/bin, where qwen must not be")
        try await withPools([("missing", #"{executor: exec, command: [no-such-program-mahavishnu, "{prompt}"]}"#)], environment: ["PATH": "/usr/bin:/bin"]) { deployment in
            try await deployment.startPool(name: "qwen", workers: 1, extraArguments: ["--worker-type", "terminal-qwen"], environment: ["PATH": "/usr/bin:/bin"])
            let started = ContinuousClock.now
            let missing = try await run("Write code", on: "missing", in: deployment)
            #expect(missing.status == .failed)
            #expect(missing.error == "command not found: no-such-program-mahavishnu")
            let qwen = try await run("Write code", on: "qwen", in: deployment)
            #expect(qwen.status == .failed)
            #expect(qwen.error == "command not found: qwen")
            #expect(ContinuousClock.now - started < .seconds(10), "reported at once, not after a timeout")
            let again = try await run("again", on: "qwen", in: deployment)
            #expect(again.error == "command not found: qwen")
        }
    }
}
