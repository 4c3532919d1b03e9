import Foundation
import MahavishnuCore
import MahavishnuHTTP

/// The HTTP side's own guard: the dashboard's actions (scale, close, cancel) need this token as
/// `Authorization: Bearer TOKEN`; reading needs none. It lives in `dashboard.token` in the key
/// directory (`broker_keys_dir`) when CURVE is on, else in the state directory; the broker makes
/// it there (32 random bytes, hex, mode 0600) when the file is missing, and never serves it.
/// `broker_http_token` names another file.
struct AdminToken: Sendable {
    let file: String
    private let value: [UInt8]

    /// The token file of `settings` (`broker_http_token`), for an HTTP listener on `port`.
    static func file(_ settings: Settings, port: Int) -> String {
        if let file = settings.brokerHTTPToken { return file }
        if let keysDirectory = settings.brokerKeysDir { return URL(fileURLWithPath: keysDirectory).appendingPathComponent("dashboard.token").path }
        return URL(fileURLWithPath: Settings.stateDirectory).appendingPathComponent("dashboard-\(port).token").path
    }

    init(file: String) throws {
        self.file = file
        if let existing = try? String(contentsOfFile: file, encoding: .utf8), !existing.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            value = Array(existing.trimmingCharacters(in: .whitespacesAndNewlines).utf8)
            return
        }
        let token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: file).deletingLastPathComponent().path, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: file, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw BrokerServiceError("cannot write the dashboard's admin token to \(file)")
        }
        value = Array(token.utf8)
    }

    /// Whether `request` carries the token (compared in constant time).
    func admits(_ request: HTTPRequest) -> Bool {
        guard let header = request.header("Authorization"), header.hasPrefix("Bearer ") else { return false }
        let offered = Array(header.dropFirst("Bearer ".count).utf8)
        guard offered.count == value.count else { return false }
        return zip(offered, value).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
