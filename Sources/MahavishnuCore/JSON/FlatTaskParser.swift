/// Reads a task body in one pass when it is a flat JSON object, the shape producers send.
///
/// Returns nil for anything it does not fully understand (nested values, fractional
/// `sleep_ms`, duplicate known keys, invalid text): `TaskJSON.decodeTask` then asks
/// JSONDecoder, whose value or error is the reference.
enum FlatTaskParser {
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> TaskRequest? {
        var prompt: String?
        // Outer nil: the key was absent; inner nil: it was JSON null (both decode to nil).
        var sleep: Int??
        var timeout: Double??
        var crash: Bool??
        var delegateTo: String??
        var scanner = JSONScanner(bytes: bytes)
        let complete = scanner.object { key, value in
            switch key {
            case "prompt":
                guard prompt == nil, let text = value.string() else { return false }
                prompt = text
            case "sleep_ms":
                guard sleep == nil, let number = value.nullable({ $0.integer() }) else { return false }
                sleep = number
            case "timeout":
                guard timeout == nil, let number = value.nullable({ $0.double() }) else { return false }
                timeout = number
            case "crash":
                guard crash == nil, let flag = value.nullable({ $0.boolean() }) else { return false }
                crash = flag
            case "delegate_to":
                guard delegateTo == nil, let pool = value.nullable({ $0.string() }) else { return false }
                delegateTo = pool
            default:
                // A field of TaskRequest this parser does not read: let JSONDecoder decode the task.
                guard TaskRequest.CodingKeys(stringValue: key) == nil else { return false }
                return value.skipScalar()
            }
            return true
        }
        guard complete, let prompt else { return nil }
        return TaskRequest(prompt: prompt, sleepMilliseconds: sleep ?? nil, timeout: timeout ?? nil, crash: crash ?? nil, delegateTo: delegateTo ?? nil)
    }
}
