import Foundation
import Yams

/// Builds `Settings` from defaults, a settings file, `MAHAVISHNU_<KEY>` environment variables and
/// command-line flags, in rising precedence, and validates every value with an error that names
/// the key and what it accepts.
public enum SettingsLoader {
    /// The settings file used when none is named and it exists in the working directory.
    public static let conventionalPath = "settings/mahavishnu.yaml"

    /// Which settings file applies: `--settings`, else `MAHAVISHNU_SETTINGS`, else `settings/mahavishnu.yaml` if present.
    public static func settingsFile(flag: String?, environment: [String: String]) -> String? {
        if let flag { return flag }
        if let variable = environment["MAHAVISHNU_SETTINGS"], !variable.isEmpty { return variable }
        return FileManager.default.fileExists(atPath: conventionalPath) ? conventionalPath : nil
    }

    /// Loads settings.
    ///
    /// - Parameters:
    ///   - file: the settings file, or `nil` for defaults, environment and flags only.
    ///   - environment: the process environment (`MAHAVISHNU_<KEY>` variables override the file).
    ///   - flags: values from command-line flags, by settings key; they override everything.
    public static func load(file: String?, environment: [String: String], flags: [String: String] = [:]) throws(ConfigurationError) -> Settings {
        var settings = Settings()
        if let file {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw ConfigurationError(source: file, key: "(file)", message: "cannot read the settings file: \(error.localizedDescription)")
            }
            try apply(yaml: text, source: file, to: &settings)
            settings.origin.file = file
        }
        try EnvironmentVariables.rejectUnknown(in: environment, keys: Settings.keys)
        for key in Settings.keys {
            if let text = environment[key.environmentVariable] {
                try set(key, Node(text), source: "environment variable \(key.environmentVariable)", from: .environment, on: &settings)
            }
        }
        for (name, text) in flags.sorted(by: { $0.key < $1.key }) {
            guard let key = Settings.keys.first(where: { $0.name == name }) else {
                preconditionFailure("flag mapped to unknown settings key \(name)")
            }
            try set(key, Node(text), source: "command-line flag", from: .flag, on: &settings)
        }
        try settings.validateCombination(source: file ?? "settings")
        return settings
    }

    /// Applies a settings document to `settings`.
    static func apply(yaml: String, source: String, to settings: inout Settings) throws(ConfigurationError) {
        let fields = try YAMLFields.document(yaml, source: source)
        try fields.rejectUnknownKeys(Settings.keyNames + [WorkerTypeCatalog.settingsKey, DelegateCatalog.settingsKey, CallerQuota.settingsKey])
        for key in Settings.keys {
            guard let node = fields.value(key.name) else { continue }
            try set(key, node, source: fields.location(of: key.name), from: .file, on: &settings)
        }
        if let node = fields.value(WorkerTypeCatalog.settingsKey) {
            settings.workerTypes = try WorkerTypeCatalog.parse(node, source: source)
        }
        if let node = fields.value(DelegateCatalog.settingsKey) {
            settings.delegates = try DelegateCatalog.parse(node, source: source)
        }
        if let node = fields.value(CallerQuota.settingsKey) {
            settings.callerQuota = try CallerQuota.parse(node, source: source)
        }
    }

    /// Sets `key` from `node` and records that `origin` set it; `source` locates the value in errors.
    private static func set(_ key: SettingsKey, _ node: Node, source: String, from origin: SettingsOrigin.Source, on settings: inout Settings) throws(ConfigurationError) {
        guard key.apply(&settings, node) else {
            let given = node.string.map { "'\($0)'" } ?? "a \(node.mapping != nil ? "mapping" : "list")"
            throw ConfigurationError(source: source, key: key.name, message: "expected \(key.expected), got \(given)")
        }
        settings.origin.keys[key.name] = origin
    }
}
