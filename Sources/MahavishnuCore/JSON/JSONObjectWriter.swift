/// Writes one JSON object with JSONEncoder's escaping: `"` and `\` escaped, control
/// characters as `\b \t \n \f \r` or `\u00xx`, everything else (slashes, non-ASCII) as is.
///
/// Fields come out in the order they are written: callers write them in sorted order to
/// match `JSONCoding`, which sorts keys.
struct JSONObjectWriter {
    private var bytes: [UInt8] = []

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    /// Writes `"key":` then a number or boolean literal; `key` comes quoted and with its colon.
    mutating func field(_ key: StaticString, number: String) {
        self.key(key)
        bytes.append(contentsOf: number.utf8)
    }

    /// Writes `"key":` then `value` as JSONEncoder writes a finite Double: its shortest
    /// description, without a trailing `.0`.
    mutating func field(_ key: StaticString, double value: Double) {
        let text = value.description
        field(key, number: text.hasSuffix(".0") ? String(text.dropLast(2)) : text)
    }

    /// Writes `"key":` then the string, quoted and escaped.
    mutating func field(_ key: StaticString, string: String) {
        self.key(key)
        bytes.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { text in
            var runStart = 0
            for (index, byte) in text.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[runStart..<index]))
                appendEscaped(byte)
                runStart = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[runStart...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Writes `"key":` then `json`, which must already be one valid JSON value.
    mutating func field(_ key: StaticString, json: some Sequence<UInt8>) {
        self.key(key)
        bytes.append(contentsOf: json)
    }

    /// Writes `"key":` then an array of objects, one per element, whose fields `writeFields` writes.
    mutating func field<Element>(_ key: StaticString, objects elements: some Sequence<Element>, _ writeFields: (inout JSONObjectWriter, Element) -> Void) {
        self.key(key)
        bytes.append(UInt8(ascii: "["))
        for element in elements {
            if bytes.last != UInt8(ascii: "[") { bytes.append(UInt8(ascii: ",")) }
            bytes.append(UInt8(ascii: "{"))
            writeFields(&self, element)
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(UInt8(ascii: "]"))
    }

    private mutating func appendEscaped(_ byte: UInt8) {
        let short: UInt8? = switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): byte
        case 0x08: UInt8(ascii: "b")
        case 0x09: UInt8(ascii: "t")
        case 0x0A: UInt8(ascii: "n")
        case 0x0C: UInt8(ascii: "f")
        case 0x0D: UInt8(ascii: "r")
        default: nil
        }
        bytes.append(UInt8(ascii: "\\"))
        if let short { return bytes.append(short) }
        let hex: StaticString = "0123456789abcdef"
        let prefix: StaticString = "u00"
        prefix.withUTF8Buffer { bytes.append(contentsOf: $0) }
        hex.withUTF8Buffer { digits in
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0xF)])
        }
    }

    /// Writes `key` (quoted, with its colon), after a comma unless it is its object's first field.
    private mutating func key(_ key: StaticString) {
        if bytes.last != UInt8(ascii: "{") { bytes.append(UInt8(ascii: ",")) }
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    consuming func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }
}
