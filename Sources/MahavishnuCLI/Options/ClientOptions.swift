import ArgumentParser

/// Options of every command that talks to a running broker and prints data: where the broker
/// is, and `--json`.
struct ClientOptions: ParsableArguments {
    @OptionGroup var broker: BrokerOptions

    @Flag(help: "Print JSON instead of a table; a failure prints {\"error\": {\"code\", \"message\"}} on stdout.")
    var json = false
}
