/// How the broker picks a pool for a task.
public enum PoolSelector: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// The pool with the lowest tasks-in-flight / capacity ratio; ties go to the least recently used.
    case leastLoaded = "least_loaded"
    /// The next pool, in ring order, that has a free slot.
    case roundRobin = "round_robin"
    /// A pool chosen uniformly among those with a free slot.
    case random = "random"
    /// The pool named by the task (by name or id); its tasks wait for that pool's capacity.
    case affinity = "affinity"

    public var description: String { rawValue }

    /// The valid wire names, comma-separated, for error messages.
    public static let validNames = allCases.map(\.rawValue).joined(separator: ", ")

    /// Parses a wire name, throwing an error that lists the valid names.
    public init(parsing name: String) throws(SelectorError) {
        guard let selector = PoolSelector(rawValue: name) else { throw SelectorError(name: name) }
        self = selector
    }
}

/// A selector name that is not one of `PoolSelector`'s.
public struct SelectorError: Error, CustomStringConvertible, Sendable {
    /// The name that was given.
    public let name: String
    public var description: String {
        "invalid selector '\(name)'; valid selectors: \(PoolSelector.validNames)"
    }
}
