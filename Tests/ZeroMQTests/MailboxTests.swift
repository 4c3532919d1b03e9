import Foundation
import Testing
import ZeroMQ

@Suite("Mailbox wake-ups")
struct MailboxTests {
    /// Whether the mailbox's wake-up descriptor is readable right now.
    func isSignalled(_ mailbox: Mailbox<Int>) throws -> Bool {
        let poller = Poller()
        poller.addReadable(fileDescriptor: mailbox.wakeup.fileDescriptor)
        return try poller.poll(timeoutMilliseconds: 0) == 1
    }

    @Test("a post wakes the owner; after adoptCurrentThread the owner's own posts do not, other threads' still do", .timeLimit(.minutes(1)))
    func adoptedThreadSkipsWakeup() throws {
        let mailbox = Mailbox<Int>()
        mailbox.post(1)
        #expect(try isSignalled(mailbox))
        mailbox.wakeup.drain()

        mailbox.adoptCurrentThread()
        mailbox.post(2)
        #expect(try isSignalled(mailbox) == false)

        let posted = DispatchSemaphore(value: 0)
        Thread {
            mailbox.post(3)
            posted.signal()
        }.start()
        posted.wait()
        #expect(try isSignalled(mailbox))
        #expect(mailbox.take() == [1, 2, 3])
    }
}
