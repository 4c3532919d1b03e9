/// Where the broker's HTTP listener binds (`broker_http`, `--http`): `HOST:PORT` (`[::1]:PORT`
/// for IPv6; port 0 lets the OS choose), or `off`.
public struct HTTPListenAddress: Sendable, Equatable {
    public let host: String
    public let port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Whether `text` is an address or `off`.
    public static func isValid(_ text: String) -> Bool {
        do {
            _ = try parse(text)
            return true
        } catch {
            return false
        }
    }

    /// The address `text` names; `nil` for `off`. Throws with what is wrong.
    public static func parse(_ text: String) throws(HTTPListenAddressError) -> HTTPListenAddress? {
        if text == "off" { return nil }
        let host: Substring, port: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") {
            host = text[text.index(after: text.startIndex)..<close]
            port = text[text.index(close, offsetBy: 2)...]
        } else if let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") {
            (host, port) = (text[..<colon], text[text.index(after: colon)...])
        } else {
            throw HTTPListenAddressError("expected HOST:PORT (or [IPv6]:PORT), or off; got '\(text)'")
        }
        guard !host.isEmpty else { throw HTTPListenAddressError("the host is missing in '\(text)'; 127.0.0.1:9464 listens on loopback") }
        guard let number = Int(port), (0...65_535).contains(number) else {
            throw HTTPListenAddressError("the port in '\(text)' must be a number from 0 to 65535 (0: the OS chooses)")
        }
        return HTTPListenAddress(host: String(host), port: number)
    }
}

/// A `broker_http` value that names no address.
public struct HTTPListenAddressError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
