/// The `MAHAVISHNU_*` environment variables: one per settings key, and a few that are not keys.
public enum EnvironmentVariables {
    /// The documented variables that are not settings keys: the broker to talk to, the settings
    /// file, the tests' `mahavishnu` executable, and the CURVE keys a broker hands its own pools.
    public static let others = ["MAHAVISHNU_BROKER", "MAHAVISHNU_SETTINGS", "MAHAVISHNU_BIN", "MAHAVISHNU_CURVE_SECRET_KEY", "MAHAVISHNU_CURVE_SERVER_KEY"]

    /// Refuses a `MAHAVISHNU_*` variable that is neither a settings key's nor one of `others`
    /// (a misspelt key would otherwise be ignored), naming the nearest known variable.
    static func rejectUnknown(in environment: [String: String], keys: [SettingsKey]) throws(ConfigurationError) {
        let known = keys.map(\.environmentVariable) + others
        for name in environment.keys.sorted() where name.hasPrefix("MAHAVISHNU_") && !known.contains(name) {
            let hint = closest(to: name, in: known).map { "did you mean \($0)?" }
                ?? "a settings key is set with MAHAVISHNU_ and the key in capitals (docs/configuration.md lists the keys)."
            throw ConfigurationError(
                source: "environment variable \(name)", key: name.dropFirst("MAHAVISHNU_".count).lowercased(),
                message: "no such settings key, and no other Mahavishnu variable has this name; \(hint) Unset or rename the variable."
            )
        }
    }
}
