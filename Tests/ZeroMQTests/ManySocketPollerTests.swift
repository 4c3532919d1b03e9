import Testing
import ZeroMQ

@Suite("ManySocketPoller over many sockets")
struct ManySocketPollerTests {
    @Test("reports only the sockets with messages, by tag, and again after hasIncoming turned false", .timeLimit(.minutes(1)))
    func reportsReadySockets() throws {
        let context = try Context()
        let receivers = try (0..<50).map { _ in try Socket(context, type: .pair, linger: 0) }
        let senders = try (0..<50).map { _ in try Socket(context, type: .pair, linger: 0) }
        defer { for socket in receivers + senders { socket.close() } }
        let poller = try ManySocketPoller()
        for (index, (receiver, sender)) in zip(receivers, senders).enumerated() {
            try receiver.bind("inproc://many-\(index)")
            try sender.connect("inproc://many-\(index)")
            try poller.add(receiver, tag: index)
        }
        for receiver in receivers { #expect(try receiver.hasIncoming == false) }
        #expect(try poller.wait(timeoutMilliseconds: 0).isEmpty)

        for round in 0..<3 {
            try senders[7].send("round \(round)")
            try senders[42].send("round \(round)")
            var received: [Int: String] = [:]
            while received.count < 2 {
                for tag in try poller.wait(timeoutMilliseconds: 5_000) {
                    while try receivers[tag].hasIncoming {
                        received[tag] = try receivers[tag].receiveMultipart().map { String(decoding: $0[0], as: UTF8.self) }
                    }
                }
            }
            #expect(received == [7: "round \(round)", 42: "round \(round)"])
        }
    }
}
