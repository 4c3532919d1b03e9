import MCP

/// One MCP tool: its name, what it does, its arguments, and the code that answers a call.
struct ToolDefinition: Sendable {
    /// Answers one call whose arguments have been checked; returns the tool's result value.
    typealias Handler = @Sendable (ToolArguments, ToolContext) async throws -> any Encodable & Sendable

    let name: String
    let description: String
    let arguments: [ToolArgument]
    let handler: Handler

    /// Every tool also takes `caller_kind`, the key of the per-caller rate limit.
    static let callerKind = ToolArgument.string(
        "caller_kind", "Who is calling (for example claude or qwen): each caller kind has its own rate limit when caller_quota is enabled.",
        pattern: "^[A-Za-z0-9._-]{1,64}$", default: "default"
    )

    init(_ name: String, _ description: String, arguments: [ToolArgument] = [], handler: @escaping Handler) {
        self.name = name
        self.description = description
        self.arguments = arguments + [Self.callerKind]
        self.handler = handler
    }

    /// The tool as `tools/list` shows it, with its JSON schema.
    var tool: Tool {
        let properties = Dictionary(uniqueKeysWithValues: arguments.map { ($0.name, $0.schema) })
        return Tool(name: name, description: description, inputSchema: .object([
            "type": "object",
            "properties": .object(properties),
            "required": .array(arguments.filter(\.required).map { .string($0.name) }),
            "additionalProperties": false,
        ]))
    }

    /// Checks a call's arguments: unknown, missing and out-of-range ones are refused, naming the argument.
    func check(_ given: [String: Value]?) throws(ToolFailure) -> ToolArguments {
        let given = given ?? [:]
        for name in given.keys.sorted() where !arguments.contains(where: { $0.name == name }) {
            throw ToolFailure(.invalidArgument, "unknown argument '\(name)' for \(self.name); it takes: \(arguments.map(\.name).joined(separator: ", "))", argument: name)
        }
        var values: [String: Value] = [:]
        for argument in arguments {
            if let value = given[argument.name], !value.isNull {
                values[argument.name] = try argument.check(value)
            } else if argument.required {
                throw ToolFailure(.invalidArgument, "missing argument '\(argument.name)': expected \(argument.allowed)", argument: argument.name)
            } else if let defaultValue = argument.defaultValue {
                values[argument.name] = defaultValue
            }
        }
        return ToolArguments(values: values)
    }
}

/// A call's checked arguments, with defaults filled in.
struct ToolArguments: Sendable {
    let values: [String: Value]

    func string(_ name: String) -> String? { values[name]?.stringValue }
    func int(_ name: String) -> Int? { values[name]?.intValue }
    func bool(_ name: String) -> Bool? { values[name]?.boolValue }
    func strings(_ name: String) -> [String]? { values[name]?.arrayValue?.compactMap(\.stringValue) }

    /// A required argument's text (the check made sure it is there).
    func text(_ name: String) -> String { string(name) ?? "" }
}
