import Foundation
import Testing
@testable import MahavishnuCore

@Suite("Settings: worker_types")
struct WorkerTypeSettingsTests {
    /// Loads settings from a temporary file holding `yaml`.
    func load(_ yaml: String) throws -> Settings {
        try SettingsLoader.load(file: SettingsTests().settingsFile(yaml), environment: [:])
    }

    @Test("the built-ins are always there: echo, and terminal-qwen and terminal-claude running the program with -p PROMPT")
    func builtIns() throws {
        let settings = try load("max_concurrent_workers: 3\n")
        #expect(settings.workerTypes.names == ["echo", "terminal-claude", "terminal-qwen"])
        #expect(settings.workerTypes["echo"]?.executor == .echo)
        #expect(settings.workerTypes["terminal-qwen"] == WorkerTypeDefinition(executor: .exec, command: ["qwen", "-p", "{prompt}"]))
        #expect(settings.workerTypes["terminal-claude"]?.command == ["claude", "-p", "{prompt}"])
    }

    @Test("a definition sets every field; built-ins stay, and terminal types may be redefined")
    func definitions() throws {
        let settings = try load("""
            worker_default_type: coder
            worker_types:
              coder:
                executor: exec
                command: [qwen, --yolo, "--prompt={prompt}"]
                working_directory: /srv/code
                environment: {QWEN_MODEL: small, RETRIES: 3}
                output_cap_bytes: 4096
                kill_grace_seconds: 2.5
              reviewer:
                executor: exec
                command: [claude]
                prompt_via: stdin
              shout:
                executor: process
                command: [python3, examples/process-worker.py]
              terminal-qwen:
                executor: exec
                command: [/opt/qwen/bin/qwen, -p, "{prompt}"]
            """)
        #expect(settings.workerDefaultType == "coder")
        #expect(settings.workerTypes["coder"] == WorkerTypeDefinition(
            executor: .exec, command: ["qwen", "--yolo", "--prompt={prompt}"], workingDirectory: "/srv/code",
            environment: ["QWEN_MODEL": "small", "RETRIES": "3"], outputCapBytes: 4096, killGraceSeconds: 2.5
        ))
        #expect(settings.workerTypes["reviewer"]?.promptVia == .stdin)
        #expect(settings.workerTypes["shout"]?.executor == .process)
        #expect(settings.workerTypes["terminal-qwen"]?.command.first == "/opt/qwen/bin/qwen")
        #expect(settings.workerTypes.names == ["coder", "echo", "reviewer", "shout", "terminal-claude", "terminal-qwen"])
    }

    @Test("invalid definitions are refused naming the dotted key", arguments: [
        ("worker_types:\n  a: {executor: exec, comand: [x]}", "worker_types.a.comand", "did you mean 'command'"),
        ("worker_types:\n  a: {executor: shell, command: [x]}", "worker_types.a.executor", "expected one of echo, exec, process, got 'shell'"),
        ("worker_types:\n  a: {command: [x]}", "worker_types.a.executor", "missing"),
        ("worker_types:\n  a: {executor: exec}", "worker_types.a.command", "needs a command"),
        ("worker_types:\n  a: {executor: exec, command: qwen -p x}", "worker_types.a.command", "list of strings"),
        ("worker_types:\n  a: {executor: exec, command: [qwen, {x: 1}]}", "worker_types.a.command[1]", "non-empty string"),
        ("worker_types:\n  a: {executor: exec, command: [qwen, -p]}", "worker_types.a.command", "no argument contains {prompt}"),
        ("worker_types:\n  a: {executor: exec, command: [x], prompt_via: pipe}", "worker_types.a.prompt_via", "expected argument or stdin"),
        ("worker_types:\n  a: {executor: process, command: [x], prompt_via: stdin}", "worker_types.a.prompt_via", "exec workers only"),
        ("worker_types:\n  a: {executor: echo, command: [x]}", "worker_types.a.command", "runs no program"),
        ("worker_types:\n  a: {executor: exec, command: [x], prompt_via: stdin, output_cap_bytes: 0}", "worker_types.a.output_cap_bytes", "at least 1"),
        ("worker_types:\n  a: {executor: exec, command: [x], prompt_via: stdin, kill_grace_seconds: -1}", "worker_types.a.kill_grace_seconds", "greater than 0"),
        ("worker_types:\n  a: {executor: exec, command: [x], prompt_via: stdin, environment: [A]}", "worker_types.a.environment", "mapping"),
        ("worker_types:\n  echo: {executor: exec, command: [x], prompt_via: stdin}", "worker_types.echo", "built in"),
        ("worker_types:\n  \"my type\": {executor: echo}", "worker_types.my type", "letters, digits"),
        ("worker_types: [a, b]", "worker_types", "mapping"),
        ("worker_default_type: teleporter", "worker_default_type", "unknown worker type 'teleporter'; defined worker types: echo, terminal-claude, terminal-qwen"),
    ])
    func invalid(yaml: String, key: String, fragment: String) {
        let error = #expect(throws: ConfigurationError.self) { try load(yaml) }
        #expect(error?.key == key)
        #expect(error?.description.contains(fragment) == true, "\(error?.description ?? "")")
    }

    @Test("a topology pool must name a defined worker type")
    func topologyWorkerType() {
        let error = #expect(throws: ConfigurationError.self) {
            try Topology.parse("""
                broker: {frontend: tcp://127.0.0.1:1, backend: tcp://127.0.0.1:2}
                pools: [{name: a, worker_type: teleporter}]
                """, source: "t.yaml", settings: Settings())
        }
        #expect(error?.key == "pools[0].worker_type")
        #expect(error?.description.contains("defined worker types: echo, terminal-claude, terminal-qwen") == true)
    }
}
