import Yams

/// Reads typed values from YAML nodes (and from environment and flag text, parsed as YAML
/// scalars), with errors that say what was expected.
enum ValueParser {
    static func bool(_ node: Node) -> Bool? {
        guard case .scalar = node else { return nil }
        return node.bool
    }

    static func int(_ node: Node) -> Int? {
        guard case .scalar = node else { return nil }
        return node.int
    }

    static func double(_ node: Node) -> Double? {
        guard case .scalar = node else { return nil }
        return node.int.map(Double.init) ?? node.float
    }

    static func string(_ node: Node) -> String? {
        guard case .scalar = node, let text = node.string, !text.isEmpty else { return nil }
        return text
    }

    static func bytes(_ node: Node) -> Int? {
        guard case .scalar = node else { return nil }
        return node.int ?? node.string.flatMap(ByteSize.parse)
    }

    static func selector(_ node: Node) -> PoolSelector? {
        string(node).flatMap(PoolSelector.init(rawValue:))
    }
}

/// Checks that `endpoint` is a ZeroMQ endpoint this project can bind or connect to.
///
/// Accepts `tcp://HOST:PORT` (PORT a number 1…65535, or `*` to let the OS choose),
/// `ipc://PATH` and `inproc://NAME`.
public func validateEndpoint(_ endpoint: String) -> String? {
    let allowed = "expected tcp://HOST:PORT, ipc://PATH or inproc://NAME"
    if endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("inproc://") {
        return endpoint.split(separator: "/", omittingEmptySubsequences: false).count > 2 && !endpoint.hasSuffix("//") ? nil : "'\(endpoint)': \(allowed)"
    }
    guard endpoint.hasPrefix("tcp://") else { return "'\(endpoint)': \(allowed)" }
    let address = endpoint.dropFirst("tcp://".count)
    guard let colon = address.lastIndex(of: ":"), colon != address.startIndex else {
        return "'\(endpoint)': missing the port; \(allowed)"
    }
    let port = address[address.index(after: colon)...]
    if port == "*" { return nil }
    guard let number = Int(port), (1...65_535).contains(number) else {
        return "'\(endpoint)': the port must be 1 to 65535 or *; \(allowed)"
    }
    return nil
}

/// The endpoints of a comma-separated list (`--broker A,B`: the brokers of a pair, tried in
/// turn); throws naming `flag` and the endpoint at fault.
public func endpointList(_ text: String, flag: String) throws(ConfigurationError) -> [String] {
    let endpoints = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    guard !endpoints.isEmpty else { throw ConfigurationError(source: "--\(flag)", key: flag, message: "expected one endpoint, or several separated by commas") }
    for endpoint in endpoints {
        if let problem = validateEndpoint(endpoint) { throw ConfigurationError(source: "--\(flag)", key: flag, message: problem) }
    }
    return endpoints
}
