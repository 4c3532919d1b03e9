import ArgumentParser
import Foundation
import Logging
import Mahavishnu
import MahavishnuCommandCore

/// `mahavishnu bus tail`: print bus messages as they are published.
struct BusTail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Print messages on the broker's message bus as they are published, one a line, until Ctrl-C.",
        discussion: """
            It finds the bus by --bus-pub/--bus-sub, else by asking the broker (--broker, \
            MAHAVISHNU_BROKER, else broker_frontend) where its bus is, unless the settings name \
            it. On exit it prints to stderr how many messages it received and how many it missed \
            (gaps in the publishers' sequence numbers) or dropped.
            """
    )

    @Option(name: .customLong("type"), help: "Only this message type (repeat for several); default: every type.")
    var types: [BusMessageType] = []

    @Flag(help: "Print each message as JSON.")
    var json = false

    @OptionGroup var broker: BrokerOptions
    @OptionGroup var bus: BusOptions

    func run() async throws {
        let configuration = try await broker.messageBusConfiguration(bus)
        let messageBus = try MessageBus(configuration: configuration)
        let messages = messageBus.subscribe(to: Set(types), scope: .all)
        do {
            try await messageBus.roundTrip(timeout: .seconds(5))
        } catch {
            messageBus.close()
            throw CLIError("\(error)", code: "no_bus")
        }
        let listening = types.isEmpty ? "every type" : types.map(\.rawValue).joined(separator: ", ")
        FileHandle.standardError.write(Data("bus tail: listening for \(listening) on \(configuration.subscribeEndpoint)\n".utf8))
        let printer = BusMessagePrinter(json: json)
        try await runUntilSignalled(
            [StreamService(messages: messages, handle: printer.print, finish: messageBus.close)],
            logger: Logger(label: "mahavishnu.bus.tail")
        )
        let statistics = messageBus.statistics
        FileHandle.standardError.write(Data("bus tail: received=\(statistics.received) missed=\(statistics.missed) dropped=\(statistics.dropped) malformed=\(statistics.malformed)\n".utf8))
    }
}

extension BusMessageType: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

/// Prints bus messages one a line: `TIME TYPE SOURCE → TARGET PAYLOAD`, or the message as JSON.
struct BusMessagePrinter: Sendable {
    let json: Bool

    func print(_ message: BusMessage) {
        guard !json else {
            return announce((try? message.json()).map { String(decoding: $0, as: UTF8.self) } ?? "")
        }
        let payload = String(decoding: message.payloadJSON, as: UTF8.self)
        let time = message.timestamp.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        announce("\(time) \(message.type.rawValue) \(message.sourcePoolID) → \(message.targetPoolID ?? "*") \(payload)")
    }
}
