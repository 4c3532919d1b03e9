import MCP

/// One argument of a tool: its JSON type, what values are allowed, its default, and its
/// description. The tool's JSON schema and the checks on every call are both made from it, so
/// they cannot disagree.
struct ToolArgument: Sendable {
    /// The JSON type and the allowed values.
    enum Kind: Sendable {
        /// A non-empty string; matching `pattern` (a whole-string regular expression) or one of `choices` when given.
        case string(pattern: String? = nil, choices: [String]? = nil)
        /// A whole number within `range`.
        case integer(ClosedRange<Int>)
        case boolean
        /// A list of `count` non-empty strings, each matching `pattern` when given.
        case strings(count: ClosedRange<Int>, pattern: String? = nil)
    }

    let name: String
    let kind: Kind
    let description: String
    /// The value used when the call leaves the argument out; `nil` with `required` false means "absent".
    let defaultValue: Value?
    let required: Bool

    static func string(_ name: String, _ description: String, pattern: String? = nil, choices: [String]? = nil, default value: String? = nil, required: Bool = false) -> ToolArgument {
        ToolArgument(name: name, kind: .string(pattern: pattern, choices: choices), description: description, defaultValue: value.map(Value.string), required: required)
    }

    static func integer(_ name: String, _ description: String, range: ClosedRange<Int>, default value: Int? = nil, required: Bool = false) -> ToolArgument {
        ToolArgument(name: name, kind: .integer(range), description: description, defaultValue: value.map(Value.int), required: required)
    }

    static func boolean(_ name: String, _ description: String, default value: Bool) -> ToolArgument {
        ToolArgument(name: name, kind: .boolean, description: description, defaultValue: .bool(value), required: false)
    }

    static func strings(_ name: String, _ description: String, count: ClosedRange<Int>, pattern: String? = nil, required: Bool = false) -> ToolArgument {
        ToolArgument(name: name, kind: .strings(count: count, pattern: pattern), description: description, defaultValue: nil, required: required)
    }

    /// The argument's JSON schema.
    var schema: Value {
        var schema: [String: Value] = ["description": .string(description)]
        switch kind {
        case .string(let pattern, let choices):
            schema["type"] = "string"
            schema["minLength"] = 1
            if let pattern { schema["pattern"] = .string(pattern) }
            if let choices { schema["enum"] = .array(choices.map(Value.string)) }
        case .integer(let range):
            schema["type"] = "integer"
            schema["minimum"] = .int(range.lowerBound)
            schema["maximum"] = .int(range.upperBound)
        case .boolean:
            schema["type"] = "boolean"
        case .strings(let count, let pattern):
            var items: [String: Value] = ["type": "string", "minLength": 1]
            if let pattern { items["pattern"] = .string(pattern) }
            schema["type"] = "array"
            schema["items"] = .object(items)
            schema["minItems"] = .int(count.lowerBound)
            schema["maxItems"] = .int(count.upperBound)
        }
        if let defaultValue { schema["default"] = defaultValue }
        return .object(schema)
    }

    /// What the argument accepts, for error messages.
    var allowed: String {
        switch kind {
        case .string(let pattern, let choices):
            if let choices { return "one of \(choices.joined(separator: ", "))" }
            return pattern.map { "a string matching \($0)" } ?? "a non-empty string"
        case .integer(let range): return "a whole number from \(range.lowerBound) to \(range.upperBound)"
        case .boolean: return "true or false"
        case .strings(let count, let pattern):
            return "a list of \(count.lowerBound) to \(count.upperBound) non-empty strings" + (pattern.map { " matching \($0)" } ?? "")
        }
    }

    /// `value` if this argument accepts it; otherwise throws a failure naming the argument and what it accepts.
    func check(_ value: Value) throws(ToolFailure) -> Value {
        let accepted: Bool
        switch kind {
        case .string(let pattern, let choices):
            guard let text = value.stringValue, !text.isEmpty else { throw refusal(value) }
            accepted = (choices?.contains(text) ?? true) && Self.matches(text, pattern)
        case .integer(let range):
            guard let number = value.wholeNumber else { throw refusal(value) }
            accepted = range.contains(number)
            if accepted { return .int(number) }
        case .boolean:
            accepted = value.boolValue != nil
        case .strings(let count, let pattern):
            guard let items = value.arrayValue else { throw refusal(value) }
            accepted = count.contains(items.count) && items.allSatisfy { item in
                item.stringValue.map { !$0.isEmpty && Self.matches($0, pattern) } ?? false
            }
        }
        guard accepted else { throw refusal(value) }
        return value
    }

    private func refusal(_ value: Value) -> ToolFailure {
        ToolFailure(.invalidArgument, "invalid argument '\(name)': expected \(allowed), got \(value.shortDescription)", argument: name)
    }

    private static func matches(_ text: String, _ pattern: String?) -> Bool {
        guard let pattern else { return true }
        guard let regex = try? Regex(pattern) else { return false }
        return (try? regex.wholeMatch(in: text)) != nil
    }
}

extension Value {
    /// An integer, also when sent as a number with no fractional part (`300.0`).
    var wholeNumber: Int? {
        if let int = intValue { return int }
        if let double = doubleValue, double.rounded() == double, abs(double) < 1e15 { return Int(double) }
        return nil
    }

    /// The value as JSON-ish text, cut short, for error messages.
    var shortDescription: String {
        let text: String = switch self {
        case .string(let string): "'\(string)'"
        case .null: "null"
        default: description
        }
        return text.count > 80 ? String(text.prefix(77)) + "..." : text
    }
}
