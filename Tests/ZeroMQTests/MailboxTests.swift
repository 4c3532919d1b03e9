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

    /// Posts `value` from a thread of its own and waits until it is posted.
    func postFromAnotherThread(_ mailbox: Mailbox<Int>, _ value: Int) {
        let posted = DispatchSemaphore(value: 0)
        Thread {
            mailbox.post(value)
            posted.signal()
        }.start()
        posted.wait()
    }

    @Test("a post wakes the owner; after adoptCurrentThread the owner's own posts do not, other threads' still do", .timeLimit(.minutes(1)))
    func adoptedThreadSkipsWakeup() throws {
        let mailbox = Mailbox<Int>()
        mailbox.post(1)
        #expect(try isSignalled(mailbox))
        mailbox.wakeup.drain()
        #expect(mailbox.take() == [1])

        mailbox.adoptCurrentThread()
        mailbox.post(2)
        #expect(try isSignalled(mailbox) == false)
        #expect(mailbox.take() == [2])

        postFromAnotherThread(mailbox, 3)
        #expect(try isSignalled(mailbox))
        #expect(mailbox.take() == [3])
    }

    @Test("only the first post since the last take wakes the owner: take() returns every later one with it", .timeLimit(.minutes(1)))
    func laterPostsRideTheFirstWakeup() throws {
        let mailbox = Mailbox<Int>()
        postFromAnotherThread(mailbox, 1)
        #expect(try isSignalled(mailbox))
        mailbox.wakeup.drain()
        postFromAnotherThread(mailbox, 2)
        #expect(try isSignalled(mailbox) == false)
        #expect(mailbox.take() == [1, 2])
        postFromAnotherThread(mailbox, 3)
        #expect(try isSignalled(mailbox))
    }
}
