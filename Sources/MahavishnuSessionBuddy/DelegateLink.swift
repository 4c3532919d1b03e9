import Foundation
import Logging
import MahavishnuCore
import MahavishnuPool
import MCP
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One live MCP connection to a delegate service: a child process spoken to over its standard
/// input and output, or an HTTP endpoint.
///
/// `onLost` is called once if the service's process exits by itself; `close()` ends the
/// connection on purpose and calls nothing. (A failed call is reported by `call` throwing.)
final class DelegateLink: Sendable {
    /// The service, for messages.
    let service: String
    private let client: MCP.Client
    private let child: Process?
    /// The child's standard input and output, kept open as long as the link (the transport uses their descriptors).
    private let pipes: (input: Pipe, output: Pipe)?

    private init(service: String, client: MCP.Client, child: Process?, pipes: (input: Pipe, output: Pipe)?) {
        self.service = service
        self.client = client
        self.child = child
        self.pipes = pipes
    }

    /// Starts (or reaches) the service and completes the MCP handshake within `timeout`.
    static func open(
        _ definition: DelegateDefinition, timeout: Duration, logger: Logger, onLost: @escaping @Sendable (String) -> Void
    ) async throws -> DelegateLink {
        let client = MCP.Client(name: "mahavishnu-session-buddy-pool", version: "1")
        switch definition.endpoint {
        case .command(let arguments):
            let (child, input, output) = try launch(arguments, environment: definition.environment)
            let link = DelegateLink(service: definition.displayName, client: client, child: child, pipes: (input, output))
            child.terminationHandler = { process in
                let how = process.terminationReason == .uncaughtSignal ? "was killed by signal \(process.terminationStatus)" : "exited with status \(process.terminationStatus)"
                // Reported before the client fails its pending calls, so they are counted as lost to this.
                onLost("the delegate service process (pid \(process.processIdentifier)) \(how)")
                Task { await client.disconnect() }
            }
            let transport = StdioTransport(
                input: .init(rawValue: output.fileHandleForReading.fileDescriptor),
                output: .init(rawValue: input.fileHandleForWriting.fileDescriptor), logger: logger
            )
            do {
                _ = try await withDeadline(timeout, what: "the delegate service \(definition.displayName)") { try await client.connect(transport: transport) }
            } catch {
                link.close()
                throw error
            }
            return link
        case .url(let address):
            guard let url = URL(string: address) else { throw DelegateError("the delegate URL '\(address)' is not a valid URL") }
            let transport = HTTPClientTransport(endpoint: url, streaming: false, logger: logger)
            _ = try await withDeadline(timeout, what: "the delegate service \(address)") { try await client.connect(transport: transport) }
            return DelegateLink(service: address, client: client, child: nil, pipes: nil)
        }
    }

    /// Starts the service's program (no shell), its stderr going to the pool's.
    private static func launch(_ arguments: [String], environment: [String: String]) throws -> (Process, input: Pipe, output: Pipe) {
        let environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let path: String
        do {
            path = try ChildProcess.resolve(arguments[0], environment: environment, workingDirectory: nil)
        } catch {
            throw DelegateError(error.description)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = Array(arguments.dropFirst())
        process.environment = environment
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        do {
            try process.run()
        } catch {
            throw DelegateError("cannot start the delegate service \(arguments.joined(separator: " ")): \(error.localizedDescription)")
        }
        return (process, input, output)
    }

    /// Calls `tool` with `arguments`; throws `DelegateError` for a tool error, anything else for a
    /// broken connection or a missed deadline.
    func call(_ tool: String, _ arguments: [String: Value], timeout: Duration) async throws -> DelegateReply {
        let client = self.client
        let (content, isError) = try await withDeadline(timeout, what: "the delegate service's \(tool)") {
            let result = try await client.callTool(name: tool, arguments: arguments)
            return (result.content, result.isError)
        }
        let reply = DelegateReply(content: content)
        if isError == true { throw DelegateError("\(tool) failed at the delegate service: \(reply.text)") }
        return reply
    }

    /// Whether the service runs as a child process (whose exit the link reports at once); an HTTP
    /// service is watched with pings instead.
    var isChildProcess: Bool { child != nil }

    /// Pings the service; throws if it does not answer within `timeout`.
    func ping(timeout: Duration) async throws {
        let client = self.client
        try await withDeadline(timeout, what: "the delegate service's ping") { try await client.ping() }
    }

    /// Ends the connection: closes the service's input (an MCP server exits at end of input),
    /// then SIGTERM after `grace` and SIGKILL after another, and waits for the process to exit.
    func close(grace: Duration = .seconds(2)) {
        let client = self.client
        Task { await client.disconnect() }
        guard let child else { return }
        let exited = DispatchSemaphore(value: 0)
        child.terminationHandler = { _ in exited.signal() }
        try? pipes?.input.fileHandleForWriting.close()
        let wait = DispatchTimeInterval.milliseconds(Int(grace.components.seconds * 1000))
        if child.isRunning, exited.wait(timeout: .now() + wait) == .timedOut {
            kill(child.processIdentifier, SIGTERM)
            if exited.wait(timeout: .now() + wait) == .timedOut { kill(child.processIdentifier, SIGKILL) }
        }
        child.waitUntilExit()
    }
}

/// A delegate service refused a call or cannot be used; the message says why.
struct DelegateError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
