import Foundation

/// Byte sizes as people write them in settings and read them in messages: `65536`, `64 KiB`,
/// `4MiB`, `1 GB`.
public enum ByteSize {
    private static let units: [(suffix: String, factor: Int)] = [
        ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30),
        ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1),
    ]

    /// The bytes `text` names: a whole number, optionally followed by a unit (KiB, MiB, GiB are
    /// powers of 1024; KB, MB, GB powers of 1000; B); `nil` for anything else or an overflow.
    public static func parse(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let unit = units.first { trimmed.hasSuffix($0.suffix) }
        let digits = unit.map { trimmed.dropLast($0.suffix.count).trimmingCharacters(in: .whitespaces) } ?? trimmed
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let number = Int(digits), number >= 0 else { return nil }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: unit?.factor ?? 1)
        return overflow ? nil : bytes
    }

    /// `bytes` in the largest binary unit that divides it, as `parse` reads it back: `64 MiB`, `1500 bytes`.
    public static func describe(_ bytes: Int) -> String {
        for (suffix, factor) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where bytes >= factor && bytes % factor == 0 {
            return "\(bytes / factor) \(suffix)"
        }
        return bytes == 1 ? "1 byte" : "\(bytes) bytes"
    }
}
