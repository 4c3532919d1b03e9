import Yams

/// The fields of one YAML mapping, read strictly: every key must be claimed, so a misspelt key is
/// an error that names it instead of a value silently ignored.
struct YAMLFields {
    let source: String
    /// The dotted path of this mapping (`""` at the top, `broker`, `pools[0]`).
    let path: String
    private let fields: [(key: String, value: Node)]

    /// Parses `yaml` whose top level must be a mapping (an empty document is an empty mapping).
    static func document(_ yaml: String, source: String) throws(ConfigurationError) -> YAMLFields {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigurationError(source: source, key: "(document)", message: "not valid YAML: \(error)")
        }
        guard let root else { return YAMLFields(source: source, path: "", fields: []) }
        return try YAMLFields(root, source: source, path: "")
    }

    init(_ node: Node, source: String, path: String) throws(ConfigurationError) {
        guard let mapping = node.mapping else {
            throw ConfigurationError(source: Self.locate(source, node), key: path.isEmpty ? "(document)" : path, message: "expected a mapping of keys to values")
        }
        var fields: [(String, Node)] = []
        for (key, value) in mapping {
            guard let name = key.string else {
                throw ConfigurationError(source: Self.locate(source, key), key: path, message: "keys must be strings")
            }
            fields.append((name, value))
        }
        self.init(source: source, path: path, fields: fields)
    }

    private init(source: String, path: String, fields: [(key: String, value: Node)]) {
        self.source = source
        self.path = path
        self.fields = fields
    }

    var keys: [String] { fields.map(\.key) }

    func value(_ key: String) -> Node? { fields.first { $0.key == key }?.value }

    /// The dotted name of `key` inside this mapping.
    func qualified(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The source with the line of `key`'s value, for messages.
    func location(of key: String) -> String {
        value(key).map { Self.locate(source, $0) } ?? source
    }

    /// Fails on the first key not in `known`, suggesting the closest known key.
    func rejectUnknownKeys(_ known: [String]) throws(ConfigurationError) {
        for key in keys where !known.contains(key) {
            var message = "unknown key"
            if let suggestion = closest(to: key, in: known) { message += "; did you mean '\(suggestion)'?" }
            message += " Known keys: \(known.joined(separator: ", "))"
            throw ConfigurationError(source: location(of: key), key: qualified(key), message: message)
        }
    }

    static func locate(_ source: String, _ node: Node) -> String {
        node.mark.map { "\(source):\($0.line)" } ?? source
    }
}

/// The candidate within a small edit distance of `word`, if any.
func closest(to word: String, in candidates: [String]) -> String? {
    let scored = candidates.map { ($0, editDistance(word, $0)) }.min { $0.1 < $1.1 }
    guard let (candidate, distance) = scored, distance <= max(2, word.count / 4) else { return nil }
    return candidate
}

private func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var previous = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...max(b.count, 1) where !b.isEmpty {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
