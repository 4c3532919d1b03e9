import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// A response status (`.ok`, `.notFound`, …), so users of this module need not import NIOHTTP1.
public typealias HTTPStatus = HTTPResponseStatus

/// A request the server read in full: method, path (without the query), query and body.
public struct HTTPRequest: Sendable {
    public let method: HTTPMethod
    public let path: String
    public let query: String
    public let headers: HTTPHeaders
    public let body: [UInt8]

    /// The first value of header `name` (any case), if it was sent.
    public func header(_ name: String) -> String? { headers.first(name: name) }

    /// The query's value for `name`, decoded (`+` as a space), if it has one.
    public func queryValue(_ name: String) -> String? {
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.first == Substring(name) else { continue }
            return parts.count == 2 ? String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding : ""
        }
        return nil
    }
}

/// What a handler answers.
public struct HTTPResponse: Sendable {
    public var status: HTTPResponseStatus
    public var contentType: String
    public var body: [UInt8]

    public init(_ status: HTTPResponseStatus = .ok, contentType: String = "text/plain; charset=utf-8", body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    public init(_ status: HTTPResponseStatus, text: String) {
        self.init(status, body: Array(text.utf8))
    }
}

/// An HTTP/1.1 server on its own event-loop thread: each request, read in full (bodies up to
/// `maxBodyBytes`), goes to `handler`, and its answer goes back with keep-alive as the client asks.
///
/// Built bound (`init` throws if the address is in use), so `port` is the one the OS chose for 0.
public final class HTTPServer: Sendable {
    /// Largest request body accepted; a larger one is answered 413.
    public static let maxBodyBytes = 1 << 20

    public let host: String
    public let port: Int
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel

    public init(host: String, port: Int, logger: Logger, handler: @escaping @Sendable (HTTPRequest) async -> HTTPResponse) throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(RequestHandler(handler: handler, logger: logger))
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
        do {
            channel = try bootstrap.bind(host: host, port: port).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw HTTPServerError("cannot listen on \(host):\(port): \(error)")
        }
        self.group = group
        self.host = host
        self.port = channel.localAddress?.port ?? port
    }

    /// `host:port` as bound.
    public var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Stops listening, closes open connections and ends the event-loop thread.
    public func close() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }

    /// `close()`, blocking: for code that is not async (never on the server's own event loop).
    public func closeNow() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }
}

/// The server could not start; the message names the address.
public struct HTTPServerError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Reads one request at a time off a connection and writes the handler's answer.
private final class RequestHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let handler: @Sendable (HTTPRequest) async -> HTTPResponse
    private let logger: Logger
    // Touched on the channel's event loop only.
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false

    init(handler: @escaping @Sendable (HTTPRequest) async -> HTTPResponse, logger: Logger) {
        self.handler = handler
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body.removeAll()
            tooLarge = false
        case .body(var chunk):
            guard !tooLarge else { return }
            if body.count + chunk.readableBytes > HTTPServer.maxBodyBytes {
                tooLarge = true
                body.removeAll()
            } else {
                body += chunk.readBytes(length: chunk.readableBytes) ?? []
            }
        case .end:
            guard let head else { return }
            self.head = nil
            let keepAlive = head.isKeepAlive
            guard !tooLarge else {
                return respond(context, HTTPResponse(.payloadTooLarge, text: "request body over \(HTTPServer.maxBodyBytes) bytes\n"), version: head.version, keepAlive: false)
            }
            let (path, query) = Self.split(head.uri)
            let request = HTTPRequest(method: head.method, path: path, query: query, headers: head.headers, body: body)
            let handler = self.handler
            let promise = context.eventLoop.makePromise(of: HTTPResponse.self)
            promise.completeWithTask { await handler(request) }
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            promise.futureResult.whenSuccess { response in
                let (handler, context) = bound.value
                handler.respond(context, response, version: head.version, keepAlive: keepAlive)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("HTTP connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    private func respond(_ context: ChannelHandlerContext, _ response: HTTPResponse, version: HTTPVersion, keepAlive: Bool) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(response.body.count))
        headers.add(name: "Cache-Control", value: "no-store")
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: response.status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    /// The path and the query of a request target.
    static func split(_ uri: String) -> (String, String) {
        guard let mark = uri.firstIndex(of: "?") else { return (uri, "") }
        return (String(uri[..<mark]), String(uri[uri.index(after: mark)...]))
    }
}
