/// Where a `Settings` value came from: the settings file, and what set each key that is not a default.
public struct SettingsOrigin: Sendable, Equatable {
    /// What set a key, in rising precedence.
    public enum Source: Sendable, Equatable {
        case file
        case environment
        case flag
    }

    /// The settings file read, if any.
    public var file: String?
    /// The source that set each key (the strongest, when several did); keys at their default are absent.
    public var keys: [String: Source] = [:]

    public init(file: String? = nil, keys: [String: Source] = [:]) {
        self.file = file
        self.keys = keys
    }
}
