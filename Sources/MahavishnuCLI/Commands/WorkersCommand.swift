import ArgumentParser

/// `mahavishnu workers …`: the old worker commands, on one-slot pools kept by the broker.
struct WorkersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workers",
        abstract: "Spawn, use, list and close workers (the WorkerManager path; each worker is a one-slot pool in the broker).",
        subcommands: [WorkersSpawn.self, WorkersExecute.self, WorkersList.self, WorkersClose.self, WorkersCloseAll.self]
    )
}
