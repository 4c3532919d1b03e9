import Foundation

/// The broker and pool programs a fleet runs: this bench's own build, or the release build of
/// another checkout (`--baseline`), so that a change and what it changed are measured side by
/// side in one run on one machine.
struct MahavishnuBuild {
    /// How reports name it: `this build`, or `baseline` and its folder.
    let name: String
    /// The program that runs as `mahavishnu ARGS…`, and the arguments it needs before ARGS.
    let brokerExecutable: String
    let brokerPrefix: [String]
    /// `mahavishnu-pool` of the same build.
    let poolExecutable: String

    /// The release build in `directory`: its `mahavishnu` and `mahavishnu-pool`, run as users run them.
    static func baseline(in directory: String) throws -> MahavishnuBuild {
        let folder = URL(fileURLWithPath: directory).standardizedFileURL
        let broker = folder.appendingPathComponent("mahavishnu").path
        let pool = folder.appendingPathComponent("mahavishnu-pool").path
        for program in [broker, pool] where !FileManager.default.isExecutableFile(atPath: program) {
            throw BenchError("--baseline \(directory) has no \(URL(fileURLWithPath: program).lastPathComponent): give the folder of another checkout's release build (`swift build -c release` there, then --baseline THAT/.build/release)")
        }
        return MahavishnuBuild(name: "baseline \(folder.path)", brokerExecutable: broker, brokerPrefix: [], poolExecutable: pool)
    }
}
