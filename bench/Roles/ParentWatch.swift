import Foundation

/// Ends a child process when the bench that started it is gone, so a crashed or killed bench
/// leaves no orphans: the child's stdin is a pipe the bench holds open, and EOF means it died.
enum ParentWatch {
    enum Reaction {
        /// SIGTERM to itself: brokers and pools drain as they do for any stop.
        case terminateGracefully
        /// Exit at once: the raw baselines have nothing to drain.
        case exitNow
    }

    static func start(onParentGone reaction: Reaction) {
        let thread = Thread {
            var byte: UInt8 = 0
            while true {
                let count = read(STDIN_FILENO, &byte, 1)
                guard count > 0 || (count < 0 && errno == EINTR) else { break }
            }
            switch reaction {
            case .terminateGracefully: kill(getpid(), SIGTERM)
            case .exitNow: _exit(0)
            }
        }
        thread.name = "bench.parent-watch"
        thread.start()
    }
}
