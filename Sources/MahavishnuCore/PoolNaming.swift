/// The rules every pool's id, name and size follow, wherever a pool is described: `READY`,
/// `spawn`, a topology, `mahavishnu-pool`'s options.
///
/// Ids and names travel in bus topics (`TYPE/TARGET/`) and in file and log names, so they are
/// short and made of letters, digits, `_`, `-` and `.`, and never start with a dot.
public enum PoolNaming {
    /// Longest pool id or name, in bytes.
    public static let maxLength = 64
    /// The most worker slots one pool may have.
    public static let maxWorkers = 1_024

    /// What is wrong with `value` as a pool id or name (`field` names it), or `nil`.
    public static func problem(with value: String, field: String) -> String? {
        guard (1...maxLength).contains(value.utf8.count) else {
            return "\(field) must be 1 to \(maxLength) bytes; got \(value.utf8.count)"
        }
        guard value.utf8.allSatisfy(isAllowed), value.utf8.first != UInt8(ascii: ".") else {
            return "\(field) '\(value)' may contain only letters, digits, '_', '-' and '.', and may not start with '.'"
        }
        return nil
    }

    /// What is wrong with a pool's worker bounds (`fields` name them), or `nil`.
    public static func problem(minWorkers: Int, maxWorkers: Int, fields: (min: String, max: String)) -> String? {
        if minWorkers < 1 { return "\(fields.min) must be at least 1 (got \(minWorkers))" }
        if maxWorkers < minWorkers { return "\(fields.max) (\(maxWorkers)) must be at least \(fields.min) (\(minWorkers))" }
        if maxWorkers > Self.maxWorkers { return "\(fields.max) must be at most \(Self.maxWorkers) (got \(maxWorkers)); run more pools instead" }
        return nil
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."): true
        default: false
        }
    }
}
