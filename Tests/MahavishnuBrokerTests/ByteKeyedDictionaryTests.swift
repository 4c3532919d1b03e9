@testable import MahavishnuBroker
import Testing

/// Every key collides: each one after the first lives in the overflow dictionary.
enum CollidingFingerprint: KeyFingerprint {
    static func fingerprint(_ key: [UInt8]) -> Int { 7 }
}

@Suite("Byte-keyed dictionaries")
struct ByteKeyedDictionaryTests {
    /// Inserts, replaces, reads, removes and iterates like `Dictionary` keyed by the bytes.
    func behavesLikeDictionary<Fingerprint: KeyFingerprint>(_ map: FingerprintedDictionary<Int, Fingerprint>) {
        var map = map
        var reference: [[UInt8]: Int] = [:]
        let keys = (0..<200).map { Array("task-\($0)".utf8) } + [[], [0], [0, 0]]
        for (index, key) in keys.enumerated() {
            #expect(map.updateValue(index, forKey: key) == reference.updateValue(index, forKey: key))
        }
        for (index, key) in keys.enumerated() where index % 3 == 0 {
            #expect(map.updateValue(-index, forKey: key) == reference.updateValue(-index, forKey: key))
        }
        for (index, key) in keys.enumerated() where index % 2 == 0 {
            #expect(map.removeValue(forKey: key) == reference.removeValue(forKey: key))
            #expect(map.removeValue(forKey: key) == nil)
        }
        map[Array("task-1".utf8)] = nil
        reference[Array("task-1".utf8)] = nil
        map[Array("new".utf8)] = 99
        reference[Array("new".utf8)] = 99
        #expect(map.count == reference.count)
        for key in keys + [Array("new".utf8), Array("absent".utf8)] { #expect(map[key] == reference[key]) }
        #expect(Dictionary(uniqueKeysWithValues: map.map { ($0.key, $0.value) }) == reference)
        map.removeAll()
        #expect(map.isEmpty && map[keys[1]] == nil)
    }

    @Test("with SipHash fingerprints it behaves like a Dictionary keyed by the bytes")
    func sipHash() {
        behavesLikeDictionary(ByteKeyedDictionary<Int>())
    }

    @Test("when every fingerprint collides, keys stay distinct (the overflow keeps them)")
    func collisions() {
        behavesLikeDictionary(FingerprintedDictionary<Int, CollidingFingerprint>())
    }
}
