/// Reads JSON values from bytes in one pass, for the fast decoders of the messages sent per
/// task (task bodies, bus headers, `task_completed`).
///
/// Each read returns nil for anything it does not fully understand; callers then fall back to
/// JSONDecoder, whose value or error stays the reference.
struct JSONScanner {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// Reads one object whose values `field` reads (given each key, with the scanner at its
    /// value); true when the whole input was that object and every `field` call returned true.
    mutating func object(_ field: (String, inout JSONScanner) -> Bool) -> Bool {
        skipWhitespace()
        guard take("{") else { return false }
        skipWhitespace()
        if !take("}") {
            repeat {
                skipWhitespace()
                guard let key = string() else { return false }
                skipWhitespace()
                guard take(":") else { return false }
                skipWhitespace()
                guard field(key, &self) else { return false }
                skipWhitespace()
            } while take(",")
            guard take("}") else { return false }
        }
        skipWhitespace()
        return index == bytes.count
    }

    /// Whether the input is exactly one valid JSON value (any depth up to 64), with only whitespace around.
    mutating func isValidDocument() -> Bool {
        skipWhitespace()
        guard skipValue(depth: 0) else { return false }
        skipWhitespace()
        return index == bytes.count
    }

    /// Reads a field's value with `read` into `field`; false when the field was already read
    /// (a duplicate key: JSONDecoder decides) or `read` found no valid value.
    static func once<T>(_ field: inout T?, _ read: () -> T?) -> Bool {
        guard field == nil, let value = read() else { return false }
        field = value
        return true
    }

    // MARK: Values

    /// `null` as `.some(nil)`, a value read by `read` as `.some(value)`, anything else nil.
    mutating func nullable<T>(_ read: (inout JSONScanner) -> T?) -> T?? {
        if take("null") { return .some(nil) }
        return read(&self).map { .some($0) }
    }

    mutating func boolean() -> Bool? {
        if take("true") { return true }
        if take("false") { return false }
        return nil
    }

    /// An integer literal (no fraction, no exponent).
    mutating func integer() -> Int? {
        let start = index
        guard let end = numberEnd(), !bytes[start..<end].contains(where: { $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") }) else { return nil }
        index = end
        return Int(String(decoding: bytes[start..<end], as: UTF8.self))
    }

    /// A finite number.
    mutating func double() -> Double? {
        let start = index
        guard let end = numberEnd(), let value = Double(String(decoding: bytes[start..<end], as: UTF8.self)), value.isFinite else { return nil }
        index = end
        return value
    }

    /// Skips a string, number, `true`, `false` or `null`; false for objects, arrays and errors.
    mutating func skipScalar() -> Bool {
        guard index < bytes.count else { return false }
        switch bytes[index] {
        case UInt8(ascii: "\""): return string() != nil
        case UInt8(ascii: "t"): return take("true")
        case UInt8(ascii: "f"): return take("false")
        case UInt8(ascii: "n"): return take("null")
        default:
            guard let end = numberEnd() else { return false }
            index = end
            return true
        }
    }

    /// A JSON string with its escapes decoded; nil if it is not valid JSON or not valid UTF-8.
    mutating func string() -> String? {
        guard take("\"") else { return nil }
        let start = index
        var isASCII = true
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = UnsafeBufferPointer(rebasing: bytes[start..<index])
                index += 1
                return isASCII ? String(decoding: text, as: UTF8.self) : String(validating: text, as: UTF8.self)
            }
            if byte < 0x20 { return nil }
            if byte == UInt8(ascii: "\\") { return escapedString(from: start) }
            isASCII = isASCII && byte < 0x80
            index += 1
        }
        return nil
    }

    /// Skips any value, objects and arrays included, nested at most 64 deep.
    private mutating func skipValue(depth: Int) -> Bool {
        guard depth < 64, index < bytes.count else { return false }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            return skipContainer(closing: "}", depth: depth) { scanner in
                guard scanner.string() != nil else { return false }
                scanner.skipWhitespace()
                guard scanner.take(":") else { return false }
                scanner.skipWhitespace()
                return scanner.skipValue(depth: depth + 1)
            }
        case UInt8(ascii: "["):
            return skipContainer(closing: "]", depth: depth) { $0.skipValue(depth: depth + 1) }
        default:
            return skipScalar()
        }
    }

    /// Skips `[` or `{`, the comma-separated elements `element` skips, and `closing`.
    private mutating func skipContainer(closing: StaticString, depth: Int, element: (inout JSONScanner) -> Bool) -> Bool {
        index += 1
        skipWhitespace()
        if take(closing) { return true }
        repeat {
            skipWhitespace()
            guard element(&self) else { return false }
            skipWhitespace()
        } while take(",")
        return take(closing)
    }

    /// Where the JSON number literal at `index` ends: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    private func numberEnd() -> Int? {
        var at = index
        func digits() -> Bool {
            let start = at
            while at < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[at]) { at += 1 }
            return at > start
        }
        if at < bytes.count, bytes[at] == UInt8(ascii: "-") { at += 1 }
        guard at < bytes.count else { return nil }
        if bytes[at] == UInt8(ascii: "0") {
            at += 1
        } else if !digits() {
            return nil
        }
        if at < bytes.count, bytes[at] == UInt8(ascii: ".") {
            at += 1
            guard digits() else { return nil }
        }
        if at < bytes.count, bytes[at] | 0x20 == UInt8(ascii: "e") {
            at += 1
            if at < bytes.count, bytes[at] == UInt8(ascii: "+") || bytes[at] == UInt8(ascii: "-") { at += 1 }
            guard digits() else { return nil }
        }
        return at
    }
    /// The rest of a string that has escapes, from its first byte at `start`; `index` is at a backslash.
    private mutating func escapedString(from start: Int) -> String? {
        var decoded = Array(bytes[start..<index])
        var runStart = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                decoded.append(contentsOf: bytes[runStart..<index])
                index += 1
                return String(validating: decoded, as: UTF8.self)
            }
            if byte < 0x20 { return nil }
            if byte == UInt8(ascii: "\\") {
                decoded.append(contentsOf: bytes[runStart..<index])
                index += 1
                guard escape(into: &decoded) else { return nil }
                runStart = index
            } else {
                index += 1
            }
        }
        return nil
    }

    /// Decodes the escape after a backslash into `decoded`.
    private mutating func escape(into decoded: inout [UInt8]) -> Bool {
        guard index < bytes.count else { return false }
        let letter = bytes[index]
        index += 1
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(letter)
        case UInt8(ascii: "b"): decoded.append(0x08)
        case UInt8(ascii: "f"): decoded.append(0x0C)
        case UInt8(ascii: "n"): decoded.append(0x0A)
        case UInt8(ascii: "r"): decoded.append(0x0D)
        case UInt8(ascii: "t"): decoded.append(0x09)
        case UInt8(ascii: "u"):
            guard var value = hexQuad() else { return false }
            if (0xD800..<0xDC00).contains(value) {
                guard take("\\u"), let low = hexQuad(), (0xDC00..<0xE000).contains(low) else { return false }
                value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let scalar = Unicode.Scalar(value) else { return false }
            decoded.append(contentsOf: Array(String(Character(scalar)).utf8))
        default: return false
        }
        return true
    }

    /// Four hex digits (and nothing else: no sign) as a UTF-16 code unit.
    private mutating func hexQuad() -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for byte in bytes[index..<index + 4] {
            guard let digit = hexDigit(byte) else { return nil }
            value = value << 4 | digit
        }
        index += 4
        return value
    }

    private func hexDigit(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    // MARK: Tokens

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// Consumes `token` if the bytes at `index` spell it.
    mutating func take(_ token: StaticString) -> Bool {
        let length = token.utf8CodeUnitCount
        guard index + length <= bytes.count else { return false }
        let matches = token.withUTF8Buffer { expected in bytes[index..<index + length].elementsEqual(expected) }
        if matches { index += length }
        return matches
    }
}
