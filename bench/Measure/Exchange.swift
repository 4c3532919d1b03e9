import MahavishnuCore

/// One kind of request a producer sends, and how a correct reply to it looks.
///
/// Request n is `head`, then a fresh id frame, then `tails[n % tails.count]`; the reply carries
/// the same id in frame 2 and `replyCommand` in frame 1.
struct Exchange {
    let head: [[UInt8]]
    let tails: [[[UInt8]]]
    let replyCommand: [UInt8]

    /// The task body every scenario sends: the smallest valid task object.
    static let taskBody: [UInt8] = Array(#"{"prompt":"bench"}"#.utf8)

    /// A `TASK` for the broker with `selector`; with `affinity`, successive tasks name the
    /// pools in `affinities` in turn.
    static func task(selector: PoolSelector, affinities: [String] = [""]) -> Exchange {
        Exchange(
            head: [Wire.version, Wire.Command.task],
            tails: affinities.map { [Array(selector.rawValue.utf8), Array($0.utf8), [], taskBody] },
            replyCommand: Wire.Command.result
        )
    }

    /// A `TASK` with a schedule frame: priorities 0 to 9 in turn, each with a deadline an hour
    /// away, so the broker parses a schedule, ranks by priority and tracks a deadline per task.
    static let scheduledTask = Exchange(
        head: [Wire.version, Wire.Command.task],
        tails: TaskSchedule.priorities.map { priority in
            [Array(PoolSelector.leastLoaded.rawValue.utf8), [], [], taskBody, ScheduleRequest(priority: priority, expiresIn: .seconds(3_600)).frame]
        },
        replyCommand: Wire.Command.result
    )

    /// The same `TASK` message sent to an echo server, which returns it unchanged: the baselines
    /// move exactly the bytes the broker scenarios move.
    static let echoedTask = Exchange(
        head: [Wire.version, Wire.Command.task],
        tails: [[Array(PoolSelector.leastLoaded.rawValue.utf8), [], [], taskBody]],
        replyCommand: Wire.Command.task
    )

    /// A `CTRL` request for control command `command` with no arguments.
    static func control(_ command: String) -> Exchange {
        Exchange(head: [Wire.version, Wire.Command.control], tails: [[Array(command.utf8), Array("{}".utf8)]], replyCommand: Wire.Command.reply)
    }
}
