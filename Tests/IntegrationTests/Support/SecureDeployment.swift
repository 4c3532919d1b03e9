import Foundation
import Mahavishnu
import ZeroMQ

/// Key directories made with `mahavishnu keys generate`, and an allow-list naming some of them.
struct KeyRing: Sendable {
    let root: URL
    /// The broker's keys directory (`broker.public`, `broker.secret`).
    var broker: String { root.appendingPathComponent("broker").path }
    /// The allow-list file.
    var allowList: String { root.appendingPathComponent("allow.yaml").path }

    /// Makes keys for the broker and for each of `identities` (a directory each, with `broker.public`).
    static func make(identities: [String]) async throws -> KeyRing {
        let ring = KeyRing(root: FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)"))
        try await generate(["--out", ring.broker, "--name", "broker"])
        for identity in identities {
            try await generate(["--out", ring.directory(identity)])
            try FileManager.default.copyItem(atPath: ring.broker + "/broker.public", toPath: ring.directory(identity) + "/broker.public")
        }
        return ring
    }

    private static func generate(_ arguments: [String]) async throws {
        let output = try await runCommand(mahavishnuExecutable, ["keys", "generate"] + arguments)
        guard output.status == 0 else { throw TestFailure("keys generate failed: \(output.stderr)") }
    }

    /// The keys directory of `identity`.
    func directory(_ identity: String) -> String { root.appendingPathComponent(identity).path }

    /// The public key of `identity`.
    func publicKey(_ identity: String) throws -> String {
        try String(contentsOfFile: directory(identity) + "/id.public", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The client keys of `identity`, as a `BrokerClient` takes them.
    func clientKeys(_ identity: String) throws -> ClientCurveKeys { try CurveKeyFiles.clientKeys(in: directory(identity)) }

    /// Writes the allow-list: each role with the public keys of the identities given.
    func writeAllowList(_ roles: [String: [String]]) throws {
        let yaml = try roles.sorted { $0.key < $1.key }.map { role, identities in
            "\(role):\n" + (try identities.map { "  - \"\(try publicKey($0))\"\n" }.joined())
        }.joined()
        try yaml.write(toFile: allowList, atomically: true, encoding: .utf8)
    }
}
