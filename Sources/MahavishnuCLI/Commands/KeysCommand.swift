import ArgumentParser
import MahavishnuCore
import ZeroMQ

/// `mahavishnu keys …`: CURVE key management.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "keys", abstract: "Manage CURVE keys.", subcommands: [KeysGenerate.self])
}

/// `mahavishnu keys generate --out DIR [--name NAME]`: a new key pair.
struct KeysGenerate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a new CURVE key pair: NAME.public and NAME.secret (mode 0600).",
        discussion: "Use --name broker for the broker's pair; other processes use the default name 'id' and need the broker's broker.public beside it."
    )

    @Option(help: "Directory to write the key files to (created if needed).")
    var out: String

    @Option(help: "File name of the pair.")
    var name = CurveKeyFiles.identityName

    func run() async throws {
        let keys = try CurveKeyPair.generate()
        let files = try CurveKeyFiles.write(keys, to: out, name: name)
        print("public key: \(keys.publicKey)")
        print("wrote \(files.publicFile) and \(files.secretFile) (mode 0600)")
    }
}
