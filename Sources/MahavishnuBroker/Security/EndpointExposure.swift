/// Whether a bind endpoint is reachable only from this machine: `ipc://`, `inproc://`, or TCP on
/// a loopback address (127.0.0.0/8, `localhost`, `[::1]`).
func isLocalOnly(_ endpoint: String) -> Bool {
    guard endpoint.hasPrefix("tcp://") else { return true }
    var host = endpoint.dropFirst("tcp://".count)
    if let colon = host.lastIndex(of: ":") { host = host[..<colon] }
    return host.hasPrefix("127.") || host == "localhost" || host == "[::1]"
}
