/// A settings or topology value that cannot be used, with where it came from and what is allowed.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Where the value came from: a file path (with line), an environment variable or a flag.
    public let source: String
    /// The key at fault, dotted for nested keys (`pools[1].max_workers`).
    public let key: String
    /// What is wrong and what is allowed.
    public let message: String

    public init(source: String, key: String, message: String) {
        self.source = source
        self.key = key
        self.message = message
    }

    public var description: String { "\(source): '\(key)': \(message)" }
}
