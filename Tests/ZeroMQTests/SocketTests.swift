import Testing
@testable import ZeroMQ

@Suite("ZeroMQ binding over real sockets")
struct SocketTests {
    let context: Context

    init() throws { context = try Context() }

    /// A bound ROUTER and a connected DEALER, closed when `body` returns or throws.
    func withPair(_ endpoint: String, _ body: (Socket, Socket) throws -> Void) throws {
        let router = try Socket(context, type: .router, linger: 0)
        let dealer = try Socket(context, type: .dealer, linger: 0)
        defer {
            dealer.close()
            router.close()
        }
        try router.bind(endpoint)
        try dealer.set(.routingID, "peer-1")
        try dealer.connect(try router.lastEndpoint)
        try body(router, dealer)
    }

    @Test("multipart round trip", arguments: ["inproc://roundtrip", "tcp://127.0.0.1:*"])
    func multipartRoundTrip(endpoint: String) throws {
        try withPair(endpoint) { router, dealer in
            try dealer.send(multipart: [Array("MHV1".utf8), [], Array("body".utf8)])
            let received = try #require(try router.receiveMultipart())
            #expect(received == [Array("peer-1".utf8), Array("MHV1".utf8), [], Array("body".utf8)])
            try router.send(multipart: [Array("peer-1".utf8), Array("reply".utf8)])
            #expect(try dealer.receiveMultipart() == [Array("reply".utf8)])
        }
    }

    @Test("large frames arrive whole", arguments: ["inproc://large", "tcp://127.0.0.1:*"])
    func largeFrames(endpoint: String) throws {
        try withPair(endpoint) { router, dealer in
            let big = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            try dealer.send(multipart: [big, Array("tail".utf8)])
            let frames = Frames()
            #expect(try router.receive(into: frames))
            #expect(frames.count == 3)
            #expect(frames.size(1) == big.count)
            #expect(frames.bytes(1) == big)
            #expect(frames.string(2) == "tail")
        }
    }

    @Test("a payload outlives the next receive and is sent without change")
    func payloadSurvivesReceive() throws {
        try withPair("inproc://payload") { router, dealer in
            let frames = Frames()
            let body = Array(repeating: UInt8(7), count: 100)
            try dealer.send(multipart: [body])
            _ = try router.receive(into: frames)
            let kept = frames.retain(1)
            try dealer.send(multipart: [Array("other".utf8)])
            _ = try router.receive(into: frames)
            #expect(frames.string(1) == "other")
            #expect(kept.bytes == body)
            try router.send(Array("peer-1".utf8), more: true)
            try router.send(kept)
            #expect(try dealer.receiveMultipart() == [body])
            #expect(kept.bytes == body)
        }
    }

    @Test("a kept small frame is a copy of its own, not a share of the receive buffer it arrived in; a kept large frame is shared, not copied")
    func retainedFramesOwnTheirBytes() throws {
        try withPair("tcp://127.0.0.1:*") { router, dealer in
            let frames = Frames()
            for size in [200, Frames.copiedFrameBytes, Frames.copiedFrameBytes + 1, 64 << 10] {
                let body = (0..<size).map { UInt8(truncatingIfNeeded: $0) }
                try dealer.send(multipart: [body])
                _ = try router.receive(into: frames)
                let kept = frames.retain(1)
                #expect(kept.sharesStorage == (size > Frames.copiedFrameBytes), "\(size) bytes")
                #expect(kept.bytes == body)
            }
        }
    }

    @Test("frames beyond capacity are discarded and flagged, and the socket stays usable")
    func overflow() throws {
        try withPair("inproc://overflow") { router, dealer in
            let frames = Frames(capacity: 3)
            try dealer.send(multipart: (0..<6).map { [UInt8($0)] })
            #expect(try router.receive(into: frames))
            #expect(frames.overflowed)
            #expect(frames.count == 3)
            try dealer.send(multipart: [[9]])
            #expect(try router.receive(into: frames))
            #expect(!frames.overflowed)
            #expect(frames.bytes(1) == [9])
        }
    }

    @Test("a non-blocking receive with nothing waiting returns false, not an error")
    func wouldBlockIsAValue() throws {
        try withPair("inproc://again") { router, _ in
            let received = try router.receive(into: Frames(), dontWait: true)
            let multipart = try router.receiveMultipart(dontWait: true)
            #expect(received == false)
            #expect(multipart == nil)
        }
    }

    @Test("ROUTER_MANDATORY turns an unroutable message into hostUnreachable")
    func routerMandatory() throws {
        try withPair("inproc://mandatory") { router, _ in
            try router.set(.routerMandatory, 1)
            #expect(throws: ZMQError.hostUnreachable) {
                try router.send(Array("nobody".utf8), more: true, dontWait: true)
            }
        }
    }

    @Test("the poller times out in milliseconds and reports readable sockets")
    func poller() throws {
        try withPair("inproc://poller") { router, dealer in
            let poller = Poller()
            let item = poller.addReadable(router)
            let clock = ContinuousClock()
            var ready = -1
            let waited = try clock.measure { ready = try poller.poll(timeoutMilliseconds: 30) }
            #expect(ready == 0)
            #expect(waited >= .milliseconds(25))
            #expect(!poller.isReadable(item))
            try dealer.send("ping")
            #expect(try poller.poll(timeoutMilliseconds: 5_000) == 1)
            #expect(poller.isReadable(item))
        }
    }

    @Test("a wakeup interrupts a poll from another thread")
    func wakeup() async throws {
        let wakeup = Wakeup()
        let poller = Poller()
        let item = poller.addReadable(fileDescriptor: wakeup.fileDescriptor)
        wakeup.signal()
        #expect(try poller.poll(timeoutMilliseconds: 5_000) == 1)
        #expect(poller.isReadable(item))
        wakeup.drain()
        #expect(try poller.poll(timeoutMilliseconds: 0) == 0)
    }

    @Test("errors are typed: bad endpoints, busy ports and closed sockets")
    func typedErrors() throws {
        let first = try Socket(context, type: .router, linger: 0)
        let second = try Socket(context, type: .router, linger: 0)
        defer {
            first.close()
            second.close()
        }
        #expect(throws: ZMQError.protocolNotSupported) { try first.bind("carrier-pigeon://x") }
        try first.bind("tcp://127.0.0.1:*")
        #expect(throws: ZMQError.addressInUse) { try second.bind(try first.lastEndpoint) }
        second.close()
        #expect(throws: ZMQError.notSocket) { try second.send("x") }
    }

    @Test("options round-trip and CURVE is available in this libzmq")
    func options() throws {
        let socket = try Socket(context, type: .dealer, linger: 250)
        defer { socket.close() }
        #expect(try socket.get(.linger) == 250)
        try socket.set(.sendHighWaterMark, 1234)
        #expect(try socket.get(.sendHighWaterMark) == 1234)
        try socket.set(.heartbeatInterval, 1000)
        #expect(try socket.get(.heartbeatInterval) == 1000)
        #expect(libzmqVersion().major == 4)
        #expect(libzmqHas("curve"))
    }
}
