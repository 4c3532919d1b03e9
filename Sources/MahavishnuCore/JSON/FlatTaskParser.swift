/// Reads a task body in one pass when it is a flat JSON object, the shape producers send.
///
/// Returns nil for anything it does not fully understand (nested values, fractional
/// `sleep_ms`, duplicate known keys, invalid text): `JSONCoding.decode` then asks
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
            case "prompt": JSONScanner.once(&prompt) { value.string() }
            case "sleep_ms": JSONScanner.once(&sleep) { value.nullable { $0.integer() } }
            case "timeout": JSONScanner.once(&timeout) { value.nullable { $0.double() } }
            case "crash": JSONScanner.once(&crash) { value.nullable { $0.boolean() } }
            case "delegate_to": JSONScanner.once(&delegateTo) { value.nullable { $0.string() } }
            // A field of TaskRequest this parser does not read: let JSONDecoder decode the task.
            default: TaskRequest.CodingKeys(stringValue: key) == nil && value.skipScalar()
            }
        }
        guard complete, let prompt else { return nil }
        return TaskRequest(prompt: prompt, sleepMilliseconds: sleep ?? nil, timeout: timeout ?? nil, crash: crash ?? nil, delegateTo: delegateTo ?? nil)
    }
}
