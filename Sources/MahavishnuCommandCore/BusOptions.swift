import ArgumentParser
import MahavishnuCore

/// `--bus-pub` and `--bus-sub`: where the broker's message bus is, for commands that use it.
package struct BusOptions: ParsableArguments {
    @Option(help: "The bus endpoint publishers connect to, the broker's XSUB (default: broker_bus_pub).")
    var busPub: String?

    @Option(help: "The bus endpoint subscribers connect to, the broker's XPUB (default: broker_bus_sub).")
    var busSub: String?

    package init() {}

    /// The options given, by settings key, for `SettingsOptions.load(flags:)`.
    package var settingsFlags: [String: String] {
        ["broker_bus_pub": busPub, "broker_bus_sub": busSub].compactMapValues { $0 }
    }
}
