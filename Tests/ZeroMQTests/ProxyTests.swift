import Foundation
import Testing
import ZeroMQ

@Suite("zmq_proxy wrapper")
struct ProxyTests {
    @Test("the proxy relays requests and replies, copies both to capture, and returns on shutdown", .timeLimit(.minutes(1)))
    func relaysUntilShutdown() throws {
        let context = try Context()
        let frontend = try Socket(context, type: .router, linger: 0)
        let backend = try Socket(context, type: .dealer, linger: 0)
        let captureOut = try Socket(context, type: .pair, linger: 0)
        let captureIn = try Socket(context, type: .pair, linger: 0)
        let client = try Socket(context, type: .dealer, linger: 0)
        let worker = try Socket(context, type: .router, linger: 0)
        defer { for socket in [client, worker, captureIn] { socket.close() } }
        try frontend.bind("inproc://proxy-frontend")
        try backend.bind("inproc://proxy-backend")
        try captureIn.bind("inproc://proxy-capture")
        try captureOut.connect("inproc://proxy-capture")
        try client.connect("inproc://proxy-frontend")
        try worker.connect("inproc://proxy-backend")

        let finished = DispatchSemaphore(value: 0)
        let outcome = ProxyOutcome()
        let proxySockets = ProxySockets(frontend: frontend, backend: backend, capture: captureOut)
        Thread {
            outcome.error = Result { try proxy(frontend: proxySockets.frontend, backend: proxySockets.backend, capture: proxySockets.capture) }.error
            for socket in [proxySockets.frontend, proxySockets.backend, proxySockets.capture] { socket.close() }
            finished.signal()
        }.start()

        try client.send(multipart: [Array("ping".utf8)])
        let request = try #require(try worker.receiveMultipart())
        #expect(request.count == 3)
        #expect(request.last == Array("ping".utf8))
        try worker.send(multipart: Array(request.dropLast()) + [Array("pong".utf8)])
        #expect(try client.receiveMultipart() == [Array("pong".utf8)])

        let copies = [try captureIn.receiveMultipart(), try captureIn.receiveMultipart()]
        #expect(copies.map { $0?.last } == [Array("ping".utf8), Array("pong".utf8)])

        context.shutdown()
        finished.wait()
        #expect(outcome.error == nil)
    }

}

/// The proxy's three sockets, handed once to the thread that runs it.
private struct ProxySockets: @unchecked Sendable {
    let frontend: Socket
    let backend: Socket
    let capture: Socket
}

/// What the proxy thread ended with.
private final class ProxyOutcome: @unchecked Sendable {
    var error: (any Error)?
}

extension Result {
    fileprivate var error: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
