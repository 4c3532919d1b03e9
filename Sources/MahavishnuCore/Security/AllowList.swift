import Foundation
import Yams
import ZeroMQ

/// What a public key may do.
public enum CurveRole: String, Sendable, CaseIterable {
    /// Submit tasks and read state on the frontend.
    case producer
    /// Register as a pool on the backend.
    case pool
    /// Everything a producer may, plus spawn, scale, close and close-all.
    case admin
    /// The other broker of a pair, on the pair socket (the pair shares the broker's key pair,
    /// which every broker admits as its peer on its own).
    case peer
}

/// The public keys the broker admits, by role (a YAML file the broker reloads on SIGHUP):
///
/// ```yaml
/// producer: ["Z85 public key", …]
/// pool: [...]
/// admin: [...]
/// ```
public struct AllowList: Sendable, Equatable {
    private var roles: [String: CurveRole]

    public init(_ roles: [String: CurveRole] = [:]) { self.roles = roles }

    /// The role of `publicKey`, or `nil` if it is not allowed at all.
    public func role(of publicKey: String) -> CurveRole? { roles[publicKey] }

    /// Adds `publicKey` with `role` (for keys the broker makes itself, such as its children's).
    public mutating func allow(_ publicKey: String, as role: CurveRole) { roles[publicKey] = role }

    /// How many keys each role has.
    public var counts: [CurveRole: Int] { roles.values.reduce(into: [:]) { $0[$1, default: 0] += 1 } }

    /// Reads an allow-list file; every key is checked and the error names its role and position.
    public static func load(file: String) throws(ConfigurationError) -> AllowList {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw ConfigurationError(source: file, key: "(file)", message: "cannot read the allow-list: \(error.localizedDescription)")
        }
        let fields = try YAMLFields.document(text, source: file)
        try fields.rejectUnknownKeys(CurveRole.allCases.map(\.rawValue))
        var list = AllowList()
        for role in CurveRole.allCases {
            guard let node = fields.value(role.rawValue), node.null == nil else { continue }
            guard case .sequence(let keys) = node else {
                throw ConfigurationError(source: fields.location(of: role.rawValue), key: role.rawValue, message: "expected a list of Z85 public keys")
            }
            for (index, entry) in keys.enumerated() {
                guard let key = entry.string, isValidCurveKey(key) else {
                    throw ConfigurationError(source: YAMLFields.locate(file, entry), key: "\(role.rawValue)[\(index)]", message: "not a Z85 CURVE public key (40 characters)")
                }
                if let other = list.role(of: key), other != role {
                    throw ConfigurationError(source: YAMLFields.locate(file, entry), key: "\(role.rawValue)[\(index)]", message: "this key is already listed as \(other.rawValue); a key has one role")
                }
                list.allow(key, as: role)
            }
        }
        return list
    }
}
