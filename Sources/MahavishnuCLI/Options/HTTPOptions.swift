import ArgumentParser

/// `--http`: where the broker's HTTP listener (`/metrics`) binds, for `broker` and `up`.
struct HTTPOptions: ParsableArguments {
    @Option(help: "HOST:PORT for the HTTP listener serving /metrics, or off (default: broker_http, 127.0.0.1:9464). Port 0 lets the OS choose.")
    var http: String?

    /// The option given, by settings key, for `SettingsOptions.load(flags:)`.
    var settingsFlags: [String: String] {
        ["broker_http": http].compactMapValues { $0 }
    }
}
