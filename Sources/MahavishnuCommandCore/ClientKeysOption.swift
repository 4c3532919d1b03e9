import ArgumentParser
import MahavishnuCore

/// `--keys DIR`: the CURVE keys a client or pool connects to a CURVE broker with.
package struct ClientKeysOption: ParsableArguments {
    @Option(name: .customLong("keys"), help: "Directory with this process's CURVE keys (id.public, id.secret) and broker.public (default: client_keys_dir).")
    var directory: String?

    package init() {}

    /// The keys `--keys` names, if given.
    package func named() throws -> ClientCurveKeys? {
        try directory.map(CurveKeyFiles.clientKeys(in:))
    }

    /// The keys `--keys` names, else those of `client_keys_dir` in `settings`.
    package func resolve(_ settings: Settings) throws -> ClientCurveKeys? {
        try named() ?? settings.clientKeysDir.map(CurveKeyFiles.clientKeys(in:))
    }
}
