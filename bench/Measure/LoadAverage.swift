import Foundation

/// The system load averages (1, 5 and 15 minutes) from `/proc/loadavg`: how busy the machine
/// was around a run, since other work on these 2 cores moves every figure.
enum LoadAverage {
    static func current() -> [Double] {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").prefix(3).compactMap { Double($0) }
    }
}
