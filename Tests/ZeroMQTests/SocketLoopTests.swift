import Foundation
import Synchronization
import Testing
import ZeroMQ

@Suite("SocketLoop: a thread that owns its sockets")
struct SocketLoopTests {
    /// What a handler did, as its loop's thread reports it.
    final class Journal: Sendable {
        let events = Mutex<[String]>([])
        func note(_ event: String) { events.withLock { $0.append(event) } }
        var all: [String] { events.withLock { $0 } }
    }

    struct Failure: Error, Equatable { let text: String }

    /// Echoes every message on its PAIR socket, sends what it is told to, and on `stop` keeps
    /// serving until its peer sends `done` (a drain); `fail` throws from the loop.
    final class EchoHandler: SocketLoopHandler {
        enum Command: Sendable { case send(String), fail, wakeIn(Duration) }

        let socket: Socket
        let journal: Journal
        let drains: Bool
        var drained = false
        var deadline: ContinuousClock.Instant?

        init(context: Context, endpoint: String, journal: Journal, drains: Bool = false) throws {
            socket = try Socket(context, type: .pair, linger: 0)
            try socket.bind(endpoint)
            self.journal = journal
            self.drains = drains
        }

        func start(_ reactor: SocketReactor) {
            journal.note("start")
            reactor.onReadable(socket) { [unowned self] in
                while let frames = try socket.receiveMultipart(dontWait: true) {
                    if frames[0] == Array("done".utf8) { drained = true } else { try socket.send(multipart: [Array("echo ".utf8) + frames[0]]) }
                }
            }
        }

        func handle(_ commands: [Command]) throws {
            for command in commands {
                switch command {
                case .send(let text): try socket.send(multipart: [Array(text.utf8)])
                case .fail: throw Failure(text: "told to fail")
                case .wakeIn(let delay): deadline = .now + delay
                }
            }
        }

        var nextDeadline: ContinuousClock.Instant? { deadline }

        func beforeWait() throws {
            guard let deadline, deadline <= .now else { return }
            self.deadline = nil
            try socket.send(multipart: [Array("timer".utf8)])
        }

        func stopRequested() -> Bool {
            journal.note("stop requested")
            return !drains
        }

        var isDone: Bool { drained }

        func finish(after error: (any Error)?) {
            journal.note(error.map { "finish after \($0)" } ?? "finish")
            socket.close()
        }
    }

    /// A loop on an `inproc` PAIR and the test's end of it.
    func echoLoop(drains: Bool = false) throws -> (loop: SocketLoop<EchoHandler.Command>, peer: Socket, journal: Journal, context: Context) {
        let context = try Context()
        let endpoint = "inproc://socket-loop-test-\(UUID().uuidString)"
        let journal = Journal()
        let loop = SocketLoop(name: "socket-loop-test", handler: try EchoHandler(context: context, endpoint: endpoint, journal: journal, drains: drains))
        let peer = try Socket(context, type: .pair, linger: 0)
        try peer.connect(endpoint)
        return (loop, peer, journal, context)
    }

    func receiveText(_ socket: Socket) throws -> String? {
        try socket.receiveMultipart(dontWait: false).map { String(decoding: $0[0], as: UTF8.self) }
    }

    @Test("it serves its socket and its mailbox on its own thread, and finishes once on stop", .timeLimit(.minutes(1)))
    func servesAndStops() throws {
        let (loop, peer, journal, _) = try echoLoop()
        defer { peer.close() }
        loop.start()
        try peer.send(multipart: [Array("ping".utf8)])
        #expect(try receiveText(peer) == "echo ping")
        #expect(loop.post(.send("hello")) == .accepted)
        #expect(try receiveText(peer) == "hello")
        loop.stop()
        try loop.join()
        #expect(loop.post(.send("late")) == .closed)
        #expect(journal.all == ["start", "stop requested", "finish"])
    }

    @Test("a deadline wakes the loop with nothing to read", .timeLimit(.minutes(1)))
    func deadlineWakes() throws {
        let (loop, peer, _, _) = try echoLoop()
        defer { peer.close() }
        loop.start()
        let asked = ContinuousClock.now
        loop.post(.wakeIn(.milliseconds(50)))
        #expect(try receiveText(peer) == "timer")
        #expect(ContinuousClock.now - asked >= .milliseconds(50))
        loop.stop()
        try loop.join()
    }

    @Test("a handler that drains keeps serving after stop until it is done; later posts are refused", .timeLimit(.minutes(1)))
    func drainsBeforeEnding() async throws {
        let (loop, peer, journal, _) = try echoLoop(drains: true)
        defer { peer.close() }
        loop.start()
        loop.post(.send("before stop"))
        loop.stop()
        #expect(try receiveText(peer) == "before stop")
        try peer.send(multipart: [Array("still there?".utf8)])
        #expect(try receiveText(peer) == "echo still there?")
        #expect(loop.post(.send("after stop")) == .closed)
        #expect(journal.all == ["start", "stop requested"])
        try peer.send(multipart: [Array("done".utf8)])
        try await loop.finished()
        #expect(journal.all == ["start", "stop requested", "finish"])
    }

    @Test("an error ends the loop: finish hears it, join and finished() rethrow it", .timeLimit(.minutes(1)))
    func errorEndsTheLoop() async throws {
        let (loop, peer, journal, _) = try echoLoop()
        defer { peer.close() }
        loop.start()
        loop.post(.fail)
        await #expect(throws: Failure(text: "told to fail")) { try await loop.finished() }
        #expect(throws: Failure(text: "told to fail")) { try loop.join() }
        #expect(journal.all == ["start", "finish after \(Failure(text: "told to fail"))"])
    }

    @Test("a loop stopped before it started finishes its handler at once", .timeLimit(.minutes(1)))
    func stopBeforeStart() throws {
        let (loop, peer, journal, _) = try echoLoop()
        defer { peer.close() }
        loop.stop()
        try loop.join()
        loop.start()
        #expect(journal.all == ["finish"])
    }

    @Test("a post with a limit is refused once that many commands wait", .timeLimit(.minutes(1)))
    func boundedPost() throws {
        let (loop, peer, _, _) = try echoLoop()
        defer { peer.close() }
        #expect(loop.post(.send("1"), ifFewerThan: 2) == .accepted)
        #expect(loop.post(.send("2"), ifFewerThan: 2) == .accepted)
        #expect(loop.post(.send("3"), ifFewerThan: 2) == .full)
        loop.start()
        #expect(try receiveText(peer) == "1")
        #expect(try receiveText(peer) == "2")
        loop.stop()
        try loop.join()
    }
}
