/// The host and port of a `tcp://HOST:PORT` endpoint, as `Socket.bind` and `connect` need them.
struct TCPAddress: Equatable {
    /// The host as written, without the brackets of an IPv6 address (`::1`, `localhost`, `127.0.0.1`).
    let host: String
    /// The port as written (`5555` or `*`).
    let port: Substring
    /// The host was written in brackets: an IPv6 address.
    let isIPv6: Bool

    /// `nil` when `endpoint` is not `tcp://HOST:PORT` (`ipc://…`, `inproc://…`).
    init?(_ endpoint: String) {
        guard endpoint.hasPrefix("tcp://") else { return nil }
        let rest = endpoint.dropFirst("tcp://".count)
        guard let colon = rest.lastIndex(of: ":") else { return nil }
        let rawHost = rest[..<colon]
        isIPv6 = rawHost.hasPrefix("[") && rawHost.hasSuffix("]") && rawHost.count >= 2
        host = String(isIPv6 ? rawHost.dropFirst().dropLast() : rawHost)
        port = rest[rest.index(after: colon)...]
    }

    /// The same endpoint with `host` instead of this one (an IPv4 address or a name).
    func replacingHost(with host: String) -> String {
        "tcp://\(host):\(port)"
    }
}
