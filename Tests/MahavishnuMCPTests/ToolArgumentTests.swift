import Mahavishnu
import MCP
import Testing
@testable import MahavishnuMCP

@Suite("Tool arguments: schemas and checks from one definition")
struct ToolArgumentTests {
    let tool = ToolDefinition("demo", "A tool for tests.", arguments: [
        .string("prompt", "Text.", required: true),
        .integer("timeout", "Seconds.", range: 30...3600, default: 300),
        .string("id", "An id.", pattern: "^[A-Za-z0-9._-]{1,128}$"),
        .string("selector", "A selector.", choices: ["a", "b"], default: "a"),
        .strings("ids", "Ids.", count: 1...2),
    ]) { _, _ in ["ok": true] }

    @Test("defaults fill what the call leaves out; given values are kept")
    func defaults() throws {
        let arguments = try tool.check(["prompt": "hi", "timeout": .double(60)])
        #expect(arguments.text("prompt") == "hi")
        #expect(arguments.int("timeout") == 60)
        #expect(arguments.string("selector") == "a")
        #expect(arguments.string("caller_kind") == "default")
        #expect(arguments.string("id") == nil)
    }

    static let badCalls: [([String: Value], String, String)] = [
        (["timeout": 5], "prompt", "missing argument 'prompt'"),
        (["prompt": "x", "timeout": 5], "timeout", "a whole number from 30 to 3600, got 5"),
        (["prompt": "x", "timeout": 30.5], "timeout", "whole number"),
        (["prompt": "x", "id": "no spaces"], "id", "matching ^[A-Za-z0-9._-]{1,128}$"),
        (["prompt": "x", "selector": "c"], "selector", "one of a, b, got 'c'"),
        (["prompt": "x", "ids": ["a", "b", "c"]], "ids", "1 to 2 non-empty strings"),
        (["prompt": ""], "prompt", "a non-empty string"),
        (["prompt": "x", "extra": 1], "extra", "unknown argument 'extra' for demo"),
        (["prompt": "x", "caller_kind": "a b"], "caller_kind", "matching"),
    ]

    @Test("a bad call is refused naming the argument and what it allows", arguments: badCalls)
    func refusals(call: [String: Value], argument: String, message: String) throws {
        let failure = try #require(throws: ToolFailure.self) { try tool.check(call) }
        #expect(failure.code == .invalidArgument)
        #expect(failure.argument == argument)
        #expect(failure.message.contains(message), "\(failure.message)")
    }

    @Test("the schema carries types, descriptions, defaults, ranges and the required list")
    func schema() throws {
        let schema = try #require(tool.tool.inputSchema.objectValue)
        let properties = try #require(schema["properties"]?.objectValue)
        #expect(schema["required"] == ["prompt"])
        #expect(schema["additionalProperties"] == false)
        #expect(properties["timeout"] == ["type": "integer", "minimum": 30, "maximum": 3600, "default": 300, "description": "Seconds."])
        #expect(properties["selector"]?.objectValue?["enum"] == ["a", "b"])
        #expect(properties["ids"]?.objectValue?["maxItems"] == 2)
        #expect(properties["caller_kind"] != nil, "every tool takes caller_kind")
    }

    @Test("the catalog offers every tool of the guide and task_cancel, each name once")
    func catalog() {
        let names = ToolCatalog.all(Settings()).map(\.name)
        #expect(Set(names).count == names.count)
        #expect(Set(names) == [
            "pool_spawn", "pool_execute", "pool_route_execute", "dispatch_to_pool", "workflow_result", "task_cancel", "pool_list", "pool_monitor",
            "pool_scale", "pool_close", "pool_close_all", "pool_health", "pool_search_memory", "worker_spawn", "worker_execute",
            "worker_execute_batch", "worker_list", "worker_close", "worker_close_all", "worker_health",
        ])
    }
}
