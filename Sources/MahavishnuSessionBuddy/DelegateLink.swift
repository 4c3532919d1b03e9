import Foundation
import Logging
import MahavishnuCore
import MahavishnuProcess
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
    /// The service's process, for a command; kept as long as the link (the transport uses its descriptors).
    private let child: AttachedProcess?

    private init(service: String, client: MCP.Client, child: AttachedProcess?) {
        self.service = service
        self.client = client
        self.child = child
    }

    /// Starts (or reaches) the service and completes the MCP handshake within `timeout`.
    static func open(
        _ definition: DelegateDefinition, timeout: Duration, logger: Logger, onLost: @escaping @Sendable (String) -> Void
    ) async throws -> DelegateLink {
        let client = MCP.Client(name: "mahavishnu-session-buddy-pool", version: "1")
        switch definition.endpoint {
        case .command(let arguments):
            let child: AttachedProcess
            do {
                let spec = LaunchSpec(arguments: arguments, environment: LaunchSpec.environment(overriding: definition.environment), workingDirectory: nil, pipeStandardInput: true)
                child = try AttachedProcess(spec, name: "mahavishnu.delegate") { ended in
                    // Reported before the client fails its pending calls, so they are counted as lost to this.
                    onLost("the delegate service process (pid \(ended.pid)) \(ended.termination)")
                    Task { await client.disconnect() }
                }
            } catch {
                throw DelegateError(error.description)
            }
            let link = DelegateLink(service: definition.displayName, client: client, child: child)
            let transport = StdioTransport(input: .init(rawValue: child.output), output: .init(rawValue: child.input), logger: logger)
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
            return DelegateLink(service: address, client: client, child: nil)
        }
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
        child?.end(terminateAfter: grace, killAfter: grace * 2)
    }
}

/// A delegate service refused a call or cannot be used; the message says why.
struct DelegateError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
