import ArgumentParser
import Mahavishnu

/// `mahavishnu broker promote --broker PASSIVE`: failback, the operator's way (docs/failover.md).
struct BrokerPromote: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote",
        abstract: "Make a pair's passive broker the active one: the active steps down once the passive holds its whole journal.",
        discussion: """
            Give --broker the passive broker's frontend, with an admin key under CURVE. The active broker exits \
            (as a fenced one does; restart it and it rejoins as the passive), and the promoted broker takes over \
            on the next request from a pool or producer. Refused when the broker is not passive, its peer is \
            silent, or its copy of the journal is not complete yet.
            """
    )

    @OptionGroup var client: ClientOptions

    func run() async throws {
        let reply = try await client.broker.withBrokerClient { try await $0.control(.promote, as: PromoteReply.self) }
        if client.json { return try Printer.json(reply) }
        print(reply.message)
    }
}
