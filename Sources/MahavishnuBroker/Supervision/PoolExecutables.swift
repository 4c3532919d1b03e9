import Foundation
import MahavishnuCore

/// The programs a broker starts its pool processes with.
public struct PoolExecutables: Sendable, Equatable {
    /// The small pool executable's file name; it is installed next to `mahavishnu`.
    public static let poolExecutableName = "mahavishnu-pool"

    /// `mahavishnu-pool`, for every pool whose workers run in the pool process.
    public var pool: String
    /// `mahavishnu`, whose `pool run` also runs `session-buddy` pools (their tasks go to a
    /// delegate service over MCP, which `mahavishnu-pool` leaves out).
    public var mahavishnu: String

    public init(pool: String, mahavishnu: String) {
        self.pool = pool
        self.mahavishnu = mahavishnu
    }

    /// `mahavishnu` at `path`, and `mahavishnu-pool` in the same directory.
    public init(besideMahavishnu path: String) {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        self.init(pool: directory.appendingPathComponent(Self.poolExecutableName).path, mahavishnu: path)
    }

    /// The executable that runs a pool for `request`, and the arguments that precede the pool's own.
    func command(for request: PoolConfig) -> (executable: String, arguments: [String]) {
        request.runsLocalWorkerType ? (pool, []) : (mahavishnu, ["pool", "run"])
    }
}

/// A pool executable the broker needs is not where it looks for it.
struct MissingPoolExecutable: Error, CustomStringConvertible {
    let path: String

    var description: String {
        "no executable at \(path); install \(URL(fileURLWithPath: path).lastPathComponent) there, next to mahavishnu (`swift build` builds both into the same directory)"
    }
}
