import Yams

/// Reads the `delegates:` mapping of a settings file, strictly, with errors naming the dotted key
/// (`delegates.buddy.command`).
extension DelegateCatalog {
    /// The settings key that holds the definitions.
    static let settingsKey = "delegates"

    /// The keys a definition may have.
    static let definitionKeys = ["command", "url", "environment", "start_timeout_seconds"]

    /// The definitions of `node` (a mapping of name to definition; empty or null for none).
    static func parse(_ node: Node, source: String) throws(ConfigurationError) -> DelegateCatalog {
        var catalog = DelegateCatalog()
        if node.null != nil { return catalog }
        let entries = try YAMLFields(node, source: source, path: settingsKey)
        for name in entries.keys {
            if name.isEmpty || !name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) {
                throw ConfigurationError(source: entries.location(of: name), key: entries.qualified(name), message: "a delegate name uses letters, digits, '-', '_' and '.' only")
            }
            let fields = try YAMLFields(entries.value(name)!, source: source, path: entries.qualified(name))
            catalog.define(name, as: try parseDefinition(fields))
        }
        return catalog
    }

    private static func parseDefinition(_ fields: YAMLFields) throws(ConfigurationError) -> DelegateDefinition {
        try fields.rejectUnknownKeys(definitionKeys)
        let command = try fields.stringList("command")
        let url = try fields.string("url")
        let endpoint: DelegateDefinition.Endpoint
        switch (command, url) {
        case (let command?, nil):
            endpoint = .command(command)
        case (nil, let url?):
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw fields.error("url", "expected an http:// or https:// URL of an MCP server, got '\(url)'")
            }
            endpoint = .url(url)
        case (.some, .some):
            throw fields.error("url", "give either command (a program to start over stdio) or url (an MCP server over HTTP), not both")
        case (nil, nil):
            throw fields.error("command", "missing: give command (a list like [\"mahavishnu\", \"mcp\"]) or url (http://HOST:PORT/mcp)")
        }
        var definition = DelegateDefinition(endpoint: endpoint)
        definition.environment = try fields.stringMapping("environment") ?? [:]
        if url != nil, fields.value("environment") != nil {
            throw fields.error("environment", "environment applies to a command delegate only")
        }
        definition.startTimeoutSeconds = try fields.positiveSeconds("start_timeout_seconds") ?? definition.startTimeoutSeconds
        return definition
    }
}
