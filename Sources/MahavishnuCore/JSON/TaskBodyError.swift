import Foundation

/// A task body that is not a usable task object, naming the field at fault and the type it needs.
public struct TaskBodyError: Error, CustomStringConvertible, Sendable {
    /// The field at fault (`timeout`, say); `nil` when the body as a whole is wrong.
    public let field: String?
    /// What is wrong, and what the field or the body should be.
    public let message: String

    public var description: String { message }

    /// The shape of a task object, for messages about the body as a whole.
    static let shape = "a JSON object with a string 'prompt' (optional: 'timeout', a number of seconds; 'sleep_ms', a whole number; 'crash', true or false; 'delegate_to', a pool name)"

    /// The fields of a task object and what each holds, in the order they are checked.
    private static let fields = [
        ("prompt", "a string"), ("timeout", "a number of seconds"), ("sleep_ms", "a whole number of milliseconds"),
        ("crash", "true or false"), ("delegate_to", "a pool name or id (a string)"),
    ]

    /// Whether `value` (not JSON null) has the type field `name` needs.
    private static func accepts(_ name: String, _ value: Any) -> Bool {
        let number = value as? NSNumber
        let isBoolean = number.map { String(cString: $0.objCType) == "c" } ?? false
        switch name {
        case "prompt", "delegate_to": return value is String
        case "crash": return isBoolean
        case "timeout": return number != nil && !isBoolean
        default: return number.map { !isBoolean && $0.doubleValue.rounded() == $0.doubleValue } ?? false
        }
    }

    /// Why `body`, which `TaskRequest` could not decode, is not a task object. Runs only for a
    /// body already refused, so it may take its time.
    init(diagnosing body: [UInt8]) {
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(body), options: .fragmentsAllowed) else {
            self.init(field: nil, message: "not valid JSON; expected \(Self.shape)")
            return
        }
        guard let object = parsed as? [String: Any] else {
            self.init(field: nil, message: "expected \(Self.shape)")
            return
        }
        for (name, expected) in Self.fields {
            let value = object[name]
            if value == nil || value is NSNull {
                if name == "prompt" {
                    self.init(field: name, message: "field 'prompt' is \(value == nil ? "missing" : "null"); it must be \(expected)")
                    return
                }
            } else if !Self.accepts(name, value!) {
                self.init(field: name, message: "field '\(name)' has the wrong type; it must be \(expected)")
                return
            }
        }
        self.init(field: nil, message: "expected \(Self.shape)")
    }

    private init(field: String?, message: String) {
        self.field = field
        self.message = message
    }
}

extension TaskRequest {
    /// Decodes a task body; one that is not a task object throws `TaskBodyError` naming the
    /// field at fault and the type it needs (the same cost as `JSONCoding.decode` when it is one).
    public static func decode(body: [UInt8]) throws(TaskBodyError) -> TaskRequest {
        do {
            return try JSONCoding.decode(TaskRequest.self, from: body)
        } catch {
            throw TaskBodyError(diagnosing: body)
        }
    }
}
