/// A dictionary keyed by byte strings (task ids, routing ids) that hashes a key in one call.
///
/// `Array<UInt8>` hashes byte by byte: callgrind put a tenth of the router loop's instructions
/// per task in `Hasher.combine(UInt8)`. This wrapper keeps the `Dictionary` surface the loop
/// uses, so swapping it in changes no call site.
struct ByteKeyedDictionary<Value> {
    private var storage: [ByteKey: Value] = [:]

    subscript(key: [UInt8]) -> Value? {
        get { storage[ByteKey(bytes: key)] }
        set { storage[ByteKey(bytes: key)] = newValue }
    }

    var count: Int { storage.count }
    var isEmpty: Bool { storage.isEmpty }
    var keys: [[UInt8]] { storage.keys.map(\.bytes) }
    var values: Dictionary<ByteKey, Value>.Values { storage.values }

    @discardableResult
    mutating func updateValue(_ value: Value, forKey key: [UInt8]) -> Value? {
        storage.updateValue(value, forKey: ByteKey(bytes: key))
    }

    @discardableResult
    mutating func removeValue(forKey key: [UInt8]) -> Value? {
        storage.removeValue(forKey: ByteKey(bytes: key))
    }

    mutating func removeAll() { storage.removeAll() }
}

extension ByteKeyedDictionary: Sequence {
    func makeIterator() -> some IteratorProtocol<(key: [UInt8], value: Value)> {
        storage.lazy.map { (key: $0.key.bytes, value: $0.value) }.makeIterator()
    }
}

extension ByteKeyedDictionary: ExpressibleByDictionaryLiteral {
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
