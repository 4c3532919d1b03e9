import ArgumentParser

/// The broker's CURVE options, shared by `broker` and `up`.
struct SecurityOptions: ParsableArguments {
    @Option(help: "Directory with the broker's CURVE keys, broker.public and broker.secret (default: broker_keys_dir).")
    var keys: String?

    @Option(help: "Allow-list file of public keys by role: producer, pool, admin (default: broker_allow_list).")
    var allow: String?

    @Flag(help: "Allow binding non-loopback addresses without CURVE (not recommended; logs a warning).")
    var insecure = false

    func validate() throws {
        if (keys == nil) != (allow == nil) { throw ValidationError("--keys and --allow go together: CURVE needs the broker's keys and the allowed public keys") }
    }
}
