import Foundation
import ZeroMQ

/// CURVE keys on disk: `NAME.public` and `NAME.secret` (mode 0600), one Z85 key per file.
///
/// A keys directory for a process that connects to the broker holds its own pair as
/// `id.public` / `id.secret` and the broker's public key as `broker.public`; the broker's
/// directory holds `broker.public` / `broker.secret`.
public enum CurveKeyFiles {
    /// The name of a connecting process's own key pair in its keys directory.
    public static let identityName = "id"
    /// The name of the broker's key pair.
    public static let brokerName = "broker"

    /// Writes a key pair to `directory` (created if needed); the secret file gets mode 0600.
    @discardableResult
    public static func write(_ keys: CurveKeyPair, to directory: String, name: String) throws -> (publicFile: String, secretFile: String) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let publicFile = path(directory, name, "public"), secretFile = path(directory, name, "secret")
        guard !FileManager.default.fileExists(atPath: secretFile) else {
            throw SecurityError("\(secretFile) already exists; remove it first or choose another --name")
        }
        try (keys.publicKey + "\n").write(toFile: publicFile, atomically: true, encoding: .utf8)
        guard FileManager.default.createFile(atPath: secretFile, contents: Data((keys.secretKey + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw SecurityError("cannot write \(secretFile)")
        }
        return (publicFile, secretFile)
    }

    /// Reads the key pair `name` from `directory`; the public key is derived from the secret one.
    public static func keyPair(in directory: String, name: String) throws -> CurveKeyPair {
        let secretFile = path(directory, name, "secret")
        let secret = try readKey(secretFile)
        guard let keys = CurveKeyPair(secretKey: secret) else { throw SecurityError("\(secretFile) does not hold a Z85 CURVE secret key") }
        return keys
    }

    /// Reads one Z85 public key from a file.
    public static func publicKey(in directory: String, name: String) throws -> String {
        let file = path(directory, name, "public")
        let key = try readKey(file)
        guard isValidCurveKey(key) else { throw SecurityError("\(file) does not hold a Z85 CURVE public key (40 characters)") }
        return key
    }

    /// The keys a process needs to connect to a CURVE broker, from its keys directory.
    public static func clientKeys(in directory: String) throws -> ClientCurveKeys {
        ClientCurveKeys(keys: try keyPair(in: directory, name: identityName), serverKey: try publicKey(in: directory, name: brokerName))
    }

    private static func path(_ directory: String, _ name: String, _ kind: String) -> String {
        URL(fileURLWithPath: directory).appendingPathComponent("\(name).\(kind)").path
    }

    private static func readKey(_ file: String) throws -> String {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw SecurityError("cannot read \(file); generate keys with `mahavishnu keys generate --out DIR --name NAME`")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// What a process needs to connect to a CURVE broker: its own key pair and the broker's public key.
public struct ClientCurveKeys: Sendable, Equatable {
    public let keys: CurveKeyPair
    /// The broker's public key.
    public let serverKey: String

    public init(keys: CurveKeyPair, serverKey: String) {
        self.keys = keys
        self.serverKey = serverKey
    }

    /// Environment variables that pass these keys to a child process (see `fromEnvironment`).
    public var environment: [String: String] {
        ["MAHAVISHNU_CURVE_SECRET_KEY": keys.secretKey, "MAHAVISHNU_CURVE_SERVER_KEY": serverKey]
    }

    /// Keys passed by a parent process through the environment, if any.
    public static func fromEnvironment(_ environment: [String: String]) -> ClientCurveKeys? {
        guard let secret = environment["MAHAVISHNU_CURVE_SECRET_KEY"], let server = environment["MAHAVISHNU_CURVE_SERVER_KEY"],
              let keys = CurveKeyPair(secretKey: secret), isValidCurveKey(server) else { return nil }
        return ClientCurveKeys(keys: keys, serverKey: server)
    }
}

/// A key file or allow-list problem, with what to do about it.
public struct SecurityError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
