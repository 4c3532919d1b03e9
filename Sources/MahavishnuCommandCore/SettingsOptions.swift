import ArgumentParser
import Foundation
import MahavishnuCore

/// `--settings`, shared by every command.
package struct SettingsOptions: ParsableArguments {
    @Option(help: "Settings file (default: $MAHAVISHNU_SETTINGS, else settings/mahavishnu.yaml when present, else built-in defaults).")
    var settings: String?

    package init() {}

    /// The settings file in effect, if any.
    package var file: String? {
        SettingsLoader.settingsFile(flag: settings, environment: ProcessInfo.processInfo.environment)
    }

    /// Loads settings with `flags` (by settings key) on top; a bad value is a usage error naming the key.
    package func load(flags: [String: String] = [:]) throws -> Settings {
        do {
            return try SettingsLoader.load(file: file, environment: ProcessInfo.processInfo.environment, flags: flags)
        } catch {
            throw CLIError("invalid settings: \(error)", code: "invalid_settings")
        }
    }
}

/// A command failure with a message for the user (printed without the usage text).
package struct CLIError: Error, CustomStringConvertible {
    package let description: String
    /// What `--json` reports as the error's code. Default `failed`.
    package let code: String

    package init(_ description: String, code: String = "failed") {
        self.description = description
        self.code = code
    }
}
