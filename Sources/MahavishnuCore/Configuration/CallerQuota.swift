import Yams

/// The MCP server's optional per-caller rate limit (`caller_quota:` in the settings file): each
/// caller (a tool call's `caller_kind`) may make `limit` calls per `windowSeconds`.
public struct CallerQuota: Sendable, Equatable {
    /// The limit applies. Default false.
    public var enabled = false
    /// Calls a caller may make per window. Default 60.
    public var limit = 60
    /// The window's length in seconds. Default 60.
    public var windowSeconds = 60.0

    public init(enabled: Bool = false, limit: Int = 60, windowSeconds: Double = 60) {
        self.enabled = enabled
        self.limit = limit
        self.windowSeconds = windowSeconds
    }

    /// The settings key that holds it.
    static let settingsKey = "caller_quota"

    /// Reads the `caller_quota:` mapping strictly (`enabled`, `limit`, `window_seconds`).
    static func parse(_ node: Node, source: String) throws(ConfigurationError) -> CallerQuota {
        let fields = try YAMLFields(node, source: source, path: settingsKey)
        try fields.rejectUnknownKeys(["enabled", "limit", "window_seconds"])
        var quota = CallerQuota()
        quota.enabled = try fields.bool("enabled") ?? quota.enabled
        quota.limit = try fields.count("limit") ?? quota.limit
        quota.windowSeconds = try fields.positiveSeconds("window_seconds") ?? quota.windowSeconds
        return quota
    }
}
