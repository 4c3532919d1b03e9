import Foundation

/// JSON coding with the settings every component shares: compact, keys sorted, slashes as is.
///
/// Types sent once per task (task bodies and results, bus headers, `task_completed`) have a
/// hand-written fast path (`FastJSONEncodable`, `FastJSONDecodable`): JSONEncoder and
/// JSONDecoder cost a pool process three quarters of its instructions per task, and the
/// memory aggregator most of its own. The fast paths produce exactly what Codable produces;
/// anything they do not fully understand goes to JSONEncoder or JSONDecoder, whose output,
/// value or error stays the reference.
public enum JSONCoding {
    /// Encodes `value` as compact JSON bytes with sorted keys.
    public static func encode(_ value: some Encodable) throws -> [UInt8] {
        if let fast = value as? any FastJSONEncodable, let bytes = fast.fastJSON() { return bytes }
        return try foundationEncode(value)
    }

    private static func foundationEncode(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    /// `encode(value)` for a type known to have a fast path: no dynamic cast per call.
    public static func encode(_ value: some FastJSONEncodable) throws -> [UInt8] {
        if let bytes = value.fastJSON() { return bytes }
        return try foundationEncode(value)
    }

    /// Decodes `type` from JSON bytes.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>) throws -> T {
        if let fastType = type as? any FastJSONDecodable.Type {
            let value = bytes.withContiguousStorageIfAvailable { fastType.init(fastJSON: $0) } ?? Array(bytes).withUnsafeBufferPointer { fastType.init(fastJSON: $0) }
            if let value = value as? T { return value }
        }
        return try JSONDecoder().decode(type, from: Data(bytes))
    }

    /// `decode(type, from: bytes)` for a type known to have a fast path: no dynamic cast per call.
    public static func decode<T: FastJSONDecodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try bytes.withUnsafeBufferPointer { try decode(type, from: $0) }
    }

    /// `decode(type, from: bytes)` over bytes in place, such as a received frame's.
    public static func decode<T: FastJSONDecodable>(_ type: T.Type, from bytes: UnsafeBufferPointer<UInt8>) throws -> T {
        if let value = T(fastJSON: bytes) { return value }
        return try JSONDecoder().decode(type, from: Data(bytes))
    }

    /// Whether `bytes` are one valid JSON value (a fragment such as `3` included).
    public static func isValid(_ bytes: [UInt8]) -> Bool {
        let valid = bytes.withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(bytes: buffer)
            return scanner.isValidDocument()
        }
        // Deeper than the scanner goes: JSONSerialization decides.
        return valid || (try? JSONSerialization.jsonObject(with: Data(bytes), options: .fragmentsAllowed)) != nil
    }
}

/// A type whose JSON `JSONCoding.encode` writes by hand.
public protocol FastJSONEncodable: Encodable {
    /// Exactly the bytes JSONEncoder would write with `JSONCoding`'s settings, or nil to let it
    /// write them (for a value it would refuse, say a non-finite number).
    func fastJSON() -> [UInt8]?
}

/// A type `JSONCoding.decode` reads by hand when it can.
public protocol FastJSONDecodable: Decodable {
    /// The value JSONDecoder would decode from `bytes`, or nil to let JSONDecoder decide.
    init?(fastJSON bytes: UnsafeBufferPointer<UInt8>)
}
