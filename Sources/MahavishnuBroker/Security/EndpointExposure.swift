/// Whether a bind endpoint is reachable only from this machine: `ipc://`, `inproc://`, or TCP on
/// a loopback address (127.0.0.0/8, `localhost`, `[::1]`).
func isLocalOnly(_ endpoint: String) -> Bool {
    guard endpoint.hasPrefix("tcp://") else { return true }
    var host = endpoint.dropFirst("tcp://".count)
    if let colon = host.lastIndex(of: ":") { host = host[..<colon] }
    return host.hasPrefix("127.") || host == "localhost" || host == "[::1]"
}

/// Refuses to expose the broker beyond this machine without CURVE, unless told to (`insecure`).
func refuseExposureWithoutCurve(_ configuration: BrokerConfiguration) throws {
    guard configuration.security == nil, !configuration.insecure else { return }
    let endpoints = [configuration.frontend, configuration.backend] + (configuration.bus.map { [$0.publish, $0.subscribe] } ?? [])
    guard let exposed = endpoints.first(where: { !isLocalOnly($0) }) else { return }
    throw BrokerError(code: .insecureBind, message: """
        refusing to bind \(exposed) without CURVE: anyone who can reach it could submit tasks and register pools. \
        Generate keys with `mahavishnu keys generate --out keys --name broker` (and a pair per producer, pool and admin), \
        list the allowed public keys in an allow-list file, and start the broker with --keys keys --allow allow.yaml; \
        or pass --insecure to accept the risk (docs/security.md)
        """)
}
