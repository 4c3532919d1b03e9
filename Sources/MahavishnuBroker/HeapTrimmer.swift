#if canImport(Glibc)
import Glibc
#endif

/// Gives freed heap memory back to the operating system once a burst is over. glibc keeps the
/// pages of freed task bodies and results otherwise, so a broker that once queued a gigabyte
/// would stay that size while idle.
///
/// Called once per heartbeat with a count that grows with traffic; it trims once after the
/// first quiet interval that follows any traffic, never while traffic flows.
struct HeapTrimmer {
    private var activityAtLastTick = 0
    private var activityAtLastTrim = 0

    mutating func tick(activity: Int) {
        defer { activityAtLastTick = activity }
        guard activity == activityAtLastTick, activity != activityAtLastTrim else { return }
        activityAtLastTrim = activity
        _ = Self.mallocTrim?(0)
    }

    /// glibc's `malloc_trim`, which Swift's Glibc module does not export (`malloc.h`); `nil` elsewhere.
    private static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
        #else
        return nil
        #endif
    }()
}
