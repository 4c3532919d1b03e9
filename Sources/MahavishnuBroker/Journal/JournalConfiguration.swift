import Foundation
import MahavishnuCore

/// How the broker journals: what it survives, where the file is, how long results stay.
public struct JournalConfiguration: Sendable {
    /// `crash` or `fsync` (`off` is no configuration at all).
    public var mode: JournalMode
    /// The file; `nil` names it after the bound frontend endpoint inside `directory`.
    public var path: String?
    /// Where a journal without a `path` goes.
    public var directory: String
    /// How long a finished task's result stays. Default 1 hour.
    public var retention: Duration

    public init(mode: JournalMode, path: String?, directory: String, retention: Duration = .seconds(3_600)) {
        self.mode = mode
        self.path = path
        self.directory = directory
        self.retention = retention
    }

    /// `path`, or `journal-HOST-PORT` (the endpoint's letters, digits, dots and dashes) in
    /// `directory`: brokers on one machine bind different frontends, so they never share a journal.
    func file(frontend: String) -> String {
        if let path { return path }
        let address = frontend.split(separator: "://", maxSplits: 1).last.map(String.init) ?? frontend
        let name = String(address.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "-" })
        return directory + "/journal-" + name.trimmingCharacters(in: ["-"])
    }
}
