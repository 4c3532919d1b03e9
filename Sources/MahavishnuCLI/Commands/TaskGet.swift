import ArgumentParser
import Foundation
import Mahavishnu

/// `mahavishnu task …`: one task, by its id.
struct TaskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "task",
        abstract: "Look up or cancel a task by its id in the broker.",
        subcommands: [TaskGet.self, TaskCancel.self]
    )
}

/// `mahavishnu task cancel ID`: ends a task that has not started with status `cancelled`.
struct TaskCancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel a task that has not started (waiting or delayed): its producer gets a cancelled result, and it never runs.",
        discussion: "Exits 0 when the task was cancelled; 1 when it had finished, is running, or is unknown (the message says which)."
    )

    @Argument(help: "The task id, as submitted.")
    var taskID: String

    @OptionGroup var client: ClientOptions

    func run() async throws {
        let reply = try await client.broker.withBrokerClient { try await $0.cancel(taskID) }
        if client.json {
            try Printer.json(reply)
        } else {
            print("task \(reply.taskID) \(reply.state.rawValue): \(reply.message)")
        }
        if !reply.cancelled { throw ExitCode.failure }
    }
}

/// `mahavishnu task get ID [--wait SECONDS]`: where a task is, and its result once finished.
struct TaskGet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Show a task's state (queued, running, completed, failed, unknown) and its result once it has one.",
        discussion: "Exits 0 for a completed task, and for one still queued or running when no --wait was asked for; 1 otherwise."
    )

    @Argument(help: "The task id, as submitted.")
    var taskID: String

    @Option(help: "Wait up to this many seconds for a queued or running task to finish.")
    var wait: Double = 0

    @OptionGroup var client: ClientOptions

    func validate() throws {
        guard wait >= 0 else { throw ValidationError("--wait must be 0 or more seconds") }
    }

    func run() async throws {
        let report = try await client.broker.withBrokerClient { try await $0.task(taskID, waitUpTo: .milliseconds(Int(wait * 1000))) }
        if client.json {
            try Printer.json(report)
        } else if let result = report.result {
            try Printer.result(result, json: false)
        } else {
            print("task \(report.taskID) \(report.state.rawValue)\(report.poolID.map { " on pool \($0)" } ?? "") (attempts: \(report.attempts))")
        }
        let settled = report.state == .completed || (wait == 0 && (report.state == .queued || report.state == .running))
        if !settled {
            if report.state == .unknown && !client.json {
                FileHandle.standardError.write(Data("the broker knows no task '\(taskID)': never accepted, or finished longer ago than its recent results reach\n".utf8))
            }
            throw ExitCode.failure
        }
    }
}
