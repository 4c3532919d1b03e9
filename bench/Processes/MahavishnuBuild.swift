import Foundation

/// The broker and pool programs a fleet runs: this bench's own build, or the release build of
/// another checkout (`--baseline`), so that a change and what it changed are measured side by
/// side in one run on one machine.
struct MahavishnuBuild {
    /// How reports name it: `this build`, or `baseline` and its folder.
    let name: String
    /// `mahavishnu`, which runs the broker.
    let brokerExecutable: String
    /// `mahavishnu-pool` of the same build.
    let poolExecutable: String

    /// The build in `directory`: its `mahavishnu` and `mahavishnu-pool`, run as users run them;
    /// `missing` says what to do when one is not there.
    init(name: String, in directory: URL, missing: (String) -> String) throws {
        let broker = directory.appendingPathComponent("mahavishnu").path
        let pool = directory.appendingPathComponent("mahavishnu-pool").path
        for program in [broker, pool] where !FileManager.default.isExecutableFile(atPath: program) {
            throw BenchError(missing(URL(fileURLWithPath: program).lastPathComponent))
        }
        self.init(name: name, brokerExecutable: broker, poolExecutable: pool)
    }

    init(name: String, brokerExecutable: String, poolExecutable: String) {
        self.name = name
        self.brokerExecutable = brokerExecutable
        self.poolExecutable = poolExecutable
    }

    /// The release build of another checkout, in `directory`.
    static func baseline(in directory: String) throws -> MahavishnuBuild {
        let folder = URL(fileURLWithPath: directory).standardizedFileURL
        return try MahavishnuBuild(name: "baseline \(folder.path)", in: folder) { program in
            "--baseline \(directory) has no \(program): give the folder of another checkout's release build (`swift build -c release` there, then --baseline THAT/.build/release)"
        }
    }
}
