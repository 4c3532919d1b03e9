/// A dictionary keyed by byte strings (task ids, routing ids), built for the router loop's
/// per-task lookups.
///
/// Entries are found by a 64-bit fingerprint of the key (SipHash, seeded per process), so a
/// probe compares integers; the full key is compared once, on the entry found. A key whose
/// fingerprint another present key already holds goes to a small overflow dictionary keyed by
/// the bytes themselves, so colliding keys stay distinct.
///
/// Keyed by the byte arrays directly, every probe of a lookup or insert compared keys stored in
/// separate heap blocks: with 10,000 cached results, those probes were a quarter of the loop.
typealias ByteKeyedDictionary<Value> = FingerprintedDictionary<Value, SipHashFingerprint>

/// How `FingerprintedDictionary` fingerprints keys (a parameter so tests can force collisions).
protocol KeyFingerprint {
    static func fingerprint(_ key: [UInt8]) -> Int
}

/// SipHash-1-3 of the key, seeded per process: keys a producer picks cannot be made to collide.
enum SipHashFingerprint: KeyFingerprint {
    static func fingerprint(_ key: [UInt8]) -> Int {
        var hasher = Hasher()
        key.withUnsafeBytes { hasher.combine(bytes: $0) }
        return hasher.finalize()
    }
}

/// The dictionary behind `ByteKeyedDictionary`, with its fingerprint as a parameter.
struct FingerprintedDictionary<Value, Fingerprint: KeyFingerprint> {
    private struct Entry {
        let key: [UInt8]
        var value: Value
    }

    private var primary: [Int: Entry] = [:]
    private var overflow: [ByteKey: Value] = [:]

    subscript(key: [UInt8]) -> Value? {
        get {
            if let entry = primary[Fingerprint.fingerprint(key)], entry.key == key { return entry.value }
            return overflow.isEmpty ? nil : overflow[ByteKey(bytes: key)]
        }
        set {
            if let newValue { updateValue(newValue, forKey: key) } else { removeValue(forKey: key) }
        }
    }

    var count: Int { primary.count + overflow.count }
    var isEmpty: Bool { primary.isEmpty && overflow.isEmpty }

    /// Sets the value for `key`; returns the value it replaced, if any.
    @discardableResult
    mutating func updateValue(_ value: Value, forKey key: [UInt8]) -> Value? {
        let fingerprint = Fingerprint.fingerprint(key)
        guard let index = primary.index(forKey: fingerprint) else {
            primary[fingerprint] = Entry(key: key, value: value)
            return nil
        }
        guard primary.values[index].key == key else { return overflow.updateValue(value, forKey: ByteKey(bytes: key)) }
        defer { primary.values[index].value = value }
        return primary.values[index].value
    }

    /// Removes `key`; returns its value, if it had one.
    @discardableResult
    mutating func removeValue(forKey key: [UInt8]) -> Value? {
        let fingerprint = Fingerprint.fingerprint(key)
        if let index = primary.index(forKey: fingerprint), primary.values[index].key == key {
            return primary.remove(at: index).value.value
        }
        return overflow.isEmpty ? nil : overflow.removeValue(forKey: ByteKey(bytes: key))
    }

    mutating func removeAll() {
        primary.removeAll()
        overflow.removeAll()
    }
}

extension FingerprintedDictionary: Sequence {
    func makeIterator() -> some IteratorProtocol<(key: [UInt8], value: Value)> {
        (primary.values.map { (key: $0.key, value: $0.value) } + overflow.map { (key: $0.key.bytes, value: $0.value) }).makeIterator()
    }
}

extension FingerprintedDictionary: ExpressibleByDictionaryLiteral {
    init(dictionaryLiteral elements: ([UInt8], Value)...) {
        for (key, value) in elements { self[key] = value }
    }
}

/// A byte string that feeds the hasher all its bytes at once.
struct ByteKey: Hashable {
    let bytes: [UInt8]

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}
